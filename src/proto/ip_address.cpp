#include "ipfix/proto/ip_address.hpp"

#include <cstring>

#include <arpa/inet.h>

#include <string>

namespace ipfix::proto {

ip_address ip_address::v4_host(uint32_t host_order) {
    const uint8_t b[4] = {static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
                          static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
    return v4(b);
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string s(text);
    uint8_t b[16];
    if (inet_pton(AF_INET, s.c_str(), b) == 1) return v4(b);
    if (inet_pton(AF_INET6, s.c_str(), b) == 1) return v6(b);
    return std::nullopt;
}

std::string ip_address::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == 4) inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
    else if (family == 6) inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

size_t ip_address_hash::operator()(const ip_address& a) const noexcept {
    // All 16 bytes as two words (an IPv4 address leaves the rest zero): two multiplies and no
    // loop, as this runs once per message on the stream lookup.
    uint64_t w[2];
    std::memcpy(w, a.bytes.data(), sizeof w);
    uint64_t h = (w[0] ^ a.family) * 0x9E3779B97F4A7C15ull;
    h ^= (w[1] + (h >> 29)) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<size_t>(h ^ (h >> 32));
}

}  // namespace ipfix::proto
