// The stats port's answers about the traffic (a merged pipeline::traffic_report): telnet tables,
// JSON and the per-exporter Prometheus families. Pure functions: same report, same bytes.
// Exporters come most records first, templates by exporter, domain and id, AS numbers by
// records and talkers by bytes (heaviest first); `n` caps the AS and talker lists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "ipfix/pipeline/traffic_tally.hpp"

namespace ipfix::stats {

using as_namer = std::function<std::string(uint32_t)>;  // "" when unknown; may be unset

// "192.0.2.1:2055", "[2001:db8::1]:2055"
std::string exporter_text(const proto::exporter_endpoint& e);

std::string render_exporters_table(const pipeline::traffic_report& r);
std::string render_templates_table(const pipeline::traffic_report& r);
std::string render_as_table(const pipeline::traffic_report& r, size_t n, const as_namer& names);
std::string render_top_table(const pipeline::traffic_report& r, size_t n);

// {"exporters":[{"address","port","version","datagrams","records","bytes","sequence_gaps","malformed","last_seen_ms"}]}
std::string render_exporters_json(const pipeline::traffic_report& r);
// {"templates":[{"exporter":"ip:port","domain","template","fields","options","last_seen_ms"}]}
std::string render_templates_json(const pipeline::traffic_report& r);
// {"source":[{"as","name","records","bytes"}],"destination":[...]}
std::string render_as_json(const pipeline::traffic_report& r, size_t n, const as_namer& names);
// {"talkers":[{"address","records","bytes"}]}
std::string render_top_json(const pipeline::traffic_report& r, size_t n);

// ipfix_enricher_exporter_*_total{exporter="ip:port"} for the `max_exporters` with most records.
std::string render_exporter_metrics(const pipeline::traffic_report& r, size_t max_exporters);

}  // namespace ipfix::stats
