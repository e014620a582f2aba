// An IPv4 or IPv6 address as a value: what records and exporters are keyed by.
// IPv4 is kept in the first four bytes; family 0 means "no address".
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ipfix::proto {

struct ip_address {
    uint8_t family = 0;  // 0 (none), 4 or 6
    std::array<uint8_t, 16> bytes{};

    static ip_address v4(const uint8_t* p) {
        // The four bytes and the twelve zeros after them as one 16-byte store, not four.
        uint32_t v;
        std::memcpy(&v, p, 4);
        const uint64_t w[2] = {std::endian::native == std::endian::little ? uint64_t{v} : uint64_t{v} << 32, 0};
        ip_address a;
        a.family = 4;
        std::memcpy(a.bytes.data(), w, 16);
        return a;
    }
    static ip_address v6(const uint8_t* p) {
        ip_address a;
        a.family = 6;
        std::memcpy(a.bytes.data(), p, 16);
        return a;
    }
    static ip_address v4_host(uint32_t host_order);
    // An address field's bytes as a record holds them: IPv4 at 4 bytes, IPv6 at 16; any other
    // size is no address (family 0). [[likely]]: IPv4 falls through, the rest take a branch.
    static ip_address of_size(const uint8_t* p, size_t n) {
        if (n == 4) [[likely]] return v4(p);
        if (n == 16) return v6(p);
        return {};
    }

    // Parses dotted IPv4 or RFC 4291 IPv6 text; nullopt when it is neither.
    static std::optional<ip_address> parse(std::string_view text);

    bool empty() const { return family == 0; }
    // 0, 4 or 16 from family 0, 4 or 6 without a branch: callers read the address at the width
    // this gives per record, and the family changes from one data set to the next.
    size_t size() const { return size_t{family & 4u} << (family & 2u); }
    std::string to_string() const;

    // Word compares: the defaulted form calls memcmp, once per message on the stream lookup.
    friend bool operator==(const ip_address& a, const ip_address& b) {
        uint64_t x[2], y[2];
        std::memcpy(x, a.bytes.data(), sizeof x);
        std::memcpy(y, b.bytes.data(), sizeof y);
        return a.family == b.family && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }
};

struct ip_address_hash {
    // All 16 bytes as two words (an IPv4 address leaves the rest zero): two multiplies and no
    // loop. Inline: it runs once per message on the stream lookup.
    size_t operator()(const ip_address& a) const noexcept {
        uint64_t w[2];
        std::memcpy(w, a.bytes.data(), sizeof w);
        uint64_t h = (w[0] ^ a.family) * 0x9E3779B97F4A7C15ull;
        h ^= (w[1] + (h >> 29)) * 0xC2B2AE3D27D4EB4Full;
        return static_cast<size_t>(h ^ (h >> 32));
    }
};

}  // namespace ipfix::proto
