#include "ipfix/pipeline/flow_summary.hpp"

namespace ipfix::pipeline {
namespace {

using proto::known_field;

// A flow time in epoch milliseconds, from whichever encoding the template uses. Uptime-relative
// times (v5, v9) are placed against the header's export time: export_time - (uptime - t).
uint64_t flow_time(const proto::record_view& r, const proto::message_header& h, known_field ms, known_field s,
                   known_field uptime) {
    if (auto v = r.unsigned_value(ms)) return *v;
    if (auto v = r.unsigned_value(s)) return *v * 1000;
    if (h.version == proto::protocol_version::ipfix) return 0;  // no uptime in the IPFIX header
    if (auto v = r.unsigned_value(uptime)) {
        const uint32_t age = h.sys_uptime_ms - static_cast<uint32_t>(*v);  // wraps with the counter
        const uint64_t exported = uint64_t{h.export_time} * 1000;
        return exported >= age ? exported - age : 0;
    }
    return 0;
}

uint32_t final_as(std::optional<uint64_t> in_record, bool written, uint32_t looked_up) {
    if (written || !in_record) return looked_up;
    return static_cast<uint32_t>(*in_record);
}

}  // namespace

flow_summary summarize(const proto::decoded_message& msg, const proto::record_view& r,
                       const mediate::record_values& v, uint64_t now_ms) {
    flow_summary s;
    s.seen_ms = now_ms;
    s.flow_start_ms = flow_time(r, msg.header, known_field::flow_start_milliseconds, known_field::flow_start_seconds,
                                known_field::flow_start_sys_up_time);
    s.flow_end_ms = flow_time(r, msg.header, known_field::flow_end_milliseconds, known_field::flow_end_seconds,
                              known_field::flow_end_sys_up_time);
    s.exporter = msg.stream.exporter.address;
    s.exporter_port = msg.stream.exporter.port;
    s.version = static_cast<uint8_t>(msg.header.version);
    s.domain = msg.header.domain;
    s.template_id = r.tmpl->id;
    s.source = r.source_address();
    s.destination = r.destination_address();
    s.source_port = static_cast<uint16_t>(r.unsigned_value(known_field::source_port).value_or(0));
    s.destination_port = static_cast<uint16_t>(r.unsigned_value(known_field::destination_port).value_or(0));
    s.protocol = static_cast<uint8_t>(r.unsigned_value(known_field::protocol).value_or(0));
    s.source_as = final_as(r.source_as(), v.write_source_as, v.source_as);
    s.destination_as = final_as(r.destination_as(), v.write_destination_as, v.destination_as);
    s.source_as_filled = v.write_source_as;
    s.destination_as_filled = v.write_destination_as;
    s.source_country = v.source_country;
    s.destination_country = v.destination_country;
    s.bytes = r.octets().value_or(0);
    s.packets = r.packets().value_or(0);
    s.input_interface = static_cast<uint32_t>(r.ingress_interface().value_or(0));
    s.output_interface = static_cast<uint32_t>(r.egress_interface().value_or(0));
    return s;
}

}  // namespace ipfix::pipeline
