#include "ipfix/stats/tail_json.hpp"

#include <fmt/format.h>

namespace ipfix::stats {
namespace {

// Country codes come from the database as two bytes: only two capital letters are shown.
std::string_view country(const std::array<char, 2>& c, char (&buf)[2]) {
    if (c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') return {};
    buf[0] = c[0];
    buf[1] = c[1];
    return {buf, 2};
}

std::string address_text(const proto::ip_address& a) { return a.empty() ? std::string() : a.to_string(); }

}  // namespace

std::string exporter_text(const proto::ip_address& address, uint16_t port) {
    if (address.family == 6) return fmt::format("[{}]:{}", address.to_string(), port);
    return fmt::format("{}:{}", address_text(address), port);
}

void append_tail_json(const pipeline::flow_summary& s, std::string& out) {
    char sc[2], dc[2];
    fmt::format_to(std::back_inserter(out),
                   "{{\"time_ms\":{},\"exporter\":\"{}\",\"version\":{},\"domain\":{},\"template\":{},"
                   "\"source\":\"{}\",\"destination\":\"{}\",\"source_port\":{},\"destination_port\":{},"
                   "\"protocol\":{},\"source_as\":{},\"destination_as\":{},\"source_as_filled\":{},"
                   "\"destination_as_filled\":{},\"source_country\":\"{}\",\"destination_country\":\"{}\","
                   "\"bytes\":{},\"packets\":{},\"input_interface\":{},\"output_interface\":{},"
                   "\"flow_start_ms\":{},\"flow_end_ms\":{}}}\n",
                   s.seen_ms, exporter_text(s.exporter, s.exporter_port), s.version, s.domain, s.template_id,
                   address_text(s.source), address_text(s.destination), s.source_port, s.destination_port,
                   s.protocol, s.source_as, s.destination_as, s.source_as_filled, s.destination_as_filled,
                   country(s.source_country, sc), country(s.destination_country, dc), s.bytes, s.packets,
                   s.input_interface, s.output_interface, s.flow_start_ms, s.flow_end_ms);
}

void append_dropped_json(uint64_t count, std::string& out) {
    fmt::format_to(std::back_inserter(out), "{{\"dropped\":{}}}\n", count);
}

}  // namespace ipfix::stats
