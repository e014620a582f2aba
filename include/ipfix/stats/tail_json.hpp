// The tail stream's record line: one flow summary as one JSON object on one line, with a fixed
// set and order of keys (GET /api/v1/tail, ipfix-tail --json):
// {"time_ms":N,"exporter":"ip:port","version":10,"domain":N,"template":N,"source":"ip",
//  "destination":"ip","source_port":N,"destination_port":N,"protocol":N,"source_as":N,
//  "destination_as":N,"source_as_filled":bool,"destination_as_filled":bool,"source_country":"NL",
//  "destination_country":"","bytes":N,"packets":N,"input_interface":N,"output_interface":N,
//  "flow_start_ms":N,"flow_end_ms":N}
// Absent addresses and countries are "".
#pragma once

#include <cstdint>
#include <string>

#include "ipfix/pipeline/flow_summary.hpp"

namespace ipfix::stats {

// Appends the line, '\n' included.
void append_tail_json(const pipeline::flow_summary& s, std::string& out);

// The notice that `count` records were dropped for this client since the last notice.
void append_dropped_json(uint64_t count, std::string& out);

// "192.0.2.1:2055", "[2001:db8::1]:2055".
std::string exporter_text(const proto::ip_address& address, uint16_t port);

}  // namespace ipfix::stats
