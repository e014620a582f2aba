// An IPv4 or IPv6 address as a value: what records and exporters are keyed by.
// IPv4 is kept in the first four bytes; family 0 means "no address".
#pragma once

#include <array>
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
        ip_address a;
        a.family = 4;
        std::memcpy(a.bytes.data(), p, 4);
        return a;
    }
    static ip_address v6(const uint8_t* p) {
        ip_address a;
        a.family = 6;
        std::memcpy(a.bytes.data(), p, 16);
        return a;
    }
    static ip_address v4_host(uint32_t host_order);

    // Parses dotted IPv4 or RFC 4291 IPv6 text; nullopt when it is neither.
    static std::optional<ip_address> parse(std::string_view text);

    bool empty() const { return family == 0; }
    size_t size() const { return family == 4 ? 4 : family == 6 ? 16 : 0; }
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
    size_t operator()(const ip_address& a) const noexcept;
};

}  // namespace ipfix::proto
