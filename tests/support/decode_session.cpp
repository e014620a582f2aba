#include "decode_session.hpp"

#include <stdexcept>

#include "byte_writer.hpp"

namespace ipfix::test {

proto::exporter_endpoint endpoint(std::string_view address, uint16_t port) {
    proto::exporter_endpoint e;
    const bool v6 = address.find(':') != std::string_view::npos;
    const std::vector<uint8_t> b = v6 ? parse_ipv6(address) : parse_ipv4(address);
    e.address = v6 ? proto::ip_address::v6(b.data()) : proto::ip_address::v4(b.data());
    e.port = port;
    return e;
}

std::string malformed_summary(const proto::decode_counters& c) {
    std::string s;
    for (size_t i = 0; i < proto::malformed_count; ++i) {
        const auto m = static_cast<proto::malformed>(i);
        if (c[m] == 0) continue;
        if (!s.empty()) s += ' ';
        s += std::string(proto::to_string(m)) + '=' + std::to_string(c[m]);
    }
    return s;
}

uint64_t uint_at(const proto::record_view& r, size_t i) {
    const std::span<const uint8_t> v = r.value(i);
    if (v.empty() || v.size() > 8) throw std::length_error("field is not an integer of 1..8 bytes");
    uint64_t x = 0;
    for (uint8_t b : v) x = (x << 8) | b;
    return x;
}

std::string text_at(const proto::record_view& r, size_t i) {
    const std::span<const uint8_t> v = r.value(i);
    return {v.begin(), v.end()};
}

std::vector<uint8_t> bytes_at(const proto::record_view& r, size_t i) {
    const std::span<const uint8_t> v = r.value(i);
    return {v.begin(), v.end()};
}

}  // namespace ipfix::test
