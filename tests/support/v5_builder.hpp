// Hand-built NetFlow v5 export packets: a 24-byte header and 48-byte flow records.
//
//   auto pkt = v5_builder({.sequence = 10}).flow({.src = "10.0.0.1", .src_as = 64500}).build();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "byte_writer.hpp"

namespace ipfix::test {

struct v5_header {
    uint32_t sys_uptime_ms = 360000;
    uint32_t export_time = 1700000000;
    uint32_t export_nsecs = 0;
    uint32_t sequence = 0;
    uint8_t engine_type = 0;
    uint8_t engine_id = 0;
    uint16_t sampling = 0;
};

struct v5_flow {
    std::string src = "0.0.0.0";
    std::string dst = "0.0.0.0";
    std::string next_hop = "0.0.0.0";
    uint16_t input = 0;
    uint16_t output = 0;
    uint32_t packets = 0;
    uint32_t octets = 0;
    uint32_t first = 0;
    uint32_t last = 0;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint8_t tcp_flags = 0;
    uint8_t protocol = 0;
    uint8_t tos = 0;
    uint16_t src_as = 0;
    uint16_t dst_as = 0;
    uint8_t src_mask = 0;
    uint8_t dst_mask = 0;
};

inline constexpr size_t v5_header_size = 24;
inline constexpr size_t v5_flow_size = 48;

class v5_builder : public basic_byte_writer<v5_builder> {
public:
    explicit v5_builder(v5_header h = {});

    v5_builder& version(uint16_t v);
    // The header count as sent, instead of the flows written.
    v5_builder& count(uint16_t c);
    v5_builder& flow(const v5_flow& f);

    std::vector<uint8_t> build();

private:
    uint16_t flows_ = 0;
    std::optional<uint16_t> count_override_;
};

}  // namespace ipfix::test
