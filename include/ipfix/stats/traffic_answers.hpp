// The stats port's traffic commands and paths, and `reset` with its token checks:
//   telnet: exporters, templates, as_stats [N], top [N], reset TOKEN
//   HTTP:   GET /api/v1/exporters, /api/v1/templates, /api/v1/as?n=N, /api/v1/top?n=N;
//           POST /api/v1/reset with "Authorization: Bearer TOKEN" (401 without, 403 wrong or
//           none configured). Any other POST: 405.
// Each returns nullopt for what is not theirs, so the responder asks them first.
#pragma once

#include <optional>
#include <string>

#include "ipfix/stats/line_protocol.hpp"
#include "ipfix/stats/session.hpp"
#include "ipfix/stats/traffic_source.hpp"

namespace ipfix::stats {

inline constexpr size_t default_top_n = 10;
inline constexpr size_t max_top_n = 1000;
inline constexpr size_t max_exporter_metrics = 100;

std::optional<std::string> answer_traffic_command(const command& c, const traffic_source& s);
std::optional<http_response> answer_traffic_request(const http_request& r, const traffic_source& s);
// The per-exporter /metrics families; empty when the source has no reader.
std::string traffic_metrics(const traffic_source& s);

}  // namespace ipfix::stats
