#include "v5_builder.hpp"

namespace ipfix::test {

v5_builder::v5_builder(v5_header h) {
    u16(5).u16(0).u32(h.sys_uptime_ms).u32(h.export_time).u32(h.export_nsecs).u32(h.sequence);
    u8(h.engine_type).u8(h.engine_id).u16(h.sampling);
}

v5_builder& v5_builder::version(uint16_t v) {
    patch_u16(0, v);
    return *this;
}

v5_builder& v5_builder::count(uint16_t c) {
    count_override_ = c;
    return *this;
}

v5_builder& v5_builder::flow(const v5_flow& f) {
    ipv4(f.src).ipv4(f.dst).ipv4(f.next_hop).u16(f.input).u16(f.output);
    u32(f.packets).u32(f.octets).u32(f.first).u32(f.last).u16(f.src_port).u16(f.dst_port);
    u8(0).u8(f.tcp_flags).u8(f.protocol).u8(f.tos).u16(f.src_as).u16(f.dst_as);
    u8(f.src_mask).u8(f.dst_mask).u16(0);
    ++flows_;
    return *this;
}

std::vector<uint8_t> v5_builder::build() {
    patch_u16(2, count_override_.value_or(flows_));
    return bytes_;
}

}  // namespace ipfix::test
