#include "ipfix/pipeline/flow_summary.hpp"

namespace ipfix::pipeline {
namespace {

using proto::field_loc;
using proto::known_field;

field_loc integer(const proto::record_view& r, known_field f) {
    const int i = r.tmpl->index_of(f);
    if (i < 0) return {};
    const field_loc l = r.locs[i];
    return l.length <= 8 ? l : field_loc{};
}

field_loc address(const proto::record_view& r, known_field v4, known_field v6) {
    if (const int i = r.tmpl->index_of(v4); i >= 0 && r.locs[i].length == 4) return r.locs[i];
    if (const int i = r.tmpl->index_of(v6); i >= 0 && r.locs[i].length == 16) return r.locs[i];
    return {};
}

}  // namespace

summary_layout layout_of(const proto::record_view& r) {
    summary_layout l;
    l.source = address(r, known_field::source_ipv4, known_field::source_ipv6);
    l.destination = address(r, known_field::destination_ipv4, known_field::destination_ipv6);
    l.source_port = integer(r, known_field::source_port);
    l.destination_port = integer(r, known_field::destination_port);
    l.protocol = integer(r, known_field::protocol);
    l.source_as = integer(r, known_field::source_as);
    l.destination_as = integer(r, known_field::destination_as);
    l.octets = integer(r, known_field::octets);
    l.packets = integer(r, known_field::packets);
    l.input_interface = integer(r, known_field::ingress_interface);
    l.output_interface = integer(r, known_field::egress_interface);
    l.start_ms = integer(r, known_field::flow_start_milliseconds);
    l.start_s = integer(r, known_field::flow_start_seconds);
    l.start_uptime = integer(r, known_field::flow_start_sys_up_time);
    l.end_ms = integer(r, known_field::flow_end_milliseconds);
    l.end_s = integer(r, known_field::flow_end_seconds);
    l.end_uptime = integer(r, known_field::flow_end_sys_up_time);
    return l;
}

flow_summary summarize(const proto::decoded_message& msg, const proto::record_view& r,
                       const mediate::record_values& v, uint64_t now_ms) {
    const summary_layout l = layout_of(r);
    flow_summary s;
    s.seen_ms = now_ms;
    s.flow_start_ms = flow_start_ms(r, l, msg.header);
    s.flow_end_ms = flow_end_ms(r, l, msg.header);
    s.exporter = msg.stream.exporter.address;
    s.exporter_port = msg.stream.exporter.port;
    s.version = static_cast<uint8_t>(msg.header.version);
    s.domain = msg.header.domain;
    s.template_id = r.tmpl->id;
    s.source = address_value(r, l.source);
    s.destination = address_value(r, l.destination);
    s.source_port = static_cast<uint16_t>(value_at(r, l.source_port));
    s.destination_port = static_cast<uint16_t>(value_at(r, l.destination_port));
    s.protocol = static_cast<uint8_t>(value_at(r, l.protocol));
    s.source_as = forwarded_as(r, l.source_as, v.write_source_as, v.source_as);
    s.destination_as = forwarded_as(r, l.destination_as, v.write_destination_as, v.destination_as);
    s.source_as_filled = v.write_source_as;
    s.destination_as_filled = v.write_destination_as;
    s.source_country = v.source_country;
    s.destination_country = v.destination_country;
    s.bytes = value_at(r, l.octets);
    s.packets = value_at(r, l.packets);
    s.input_interface = static_cast<uint32_t>(value_at(r, l.input_interface));
    s.output_interface = static_cast<uint32_t>(value_at(r, l.output_interface));
    return s;
}

}  // namespace ipfix::pipeline
