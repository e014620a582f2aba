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

}  // namespace ipfix::proto
