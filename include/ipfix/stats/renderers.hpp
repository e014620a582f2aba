// The stats port's answers made from a stats_view: telnet tables, Prometheus text exposition
// format (0.0.4) and the JSON API. Pure functions: same view, same bytes.
#pragma once

#include <string>

#include "ipfix/stats/stats_view.hpp"

namespace ipfix::stats {

// `stats`: uptime and interval, then one table per counter section (total, per second over the
// interval; "-" before there is one) and the collectors table.
std::string render_stats_table(const stats_view& v);
// `collectors`: one row per collector with its mediate counters and records per second.
std::string render_collectors_table(const stats_view& v);
// GET /metrics: every counter as a *_total family with HELP and TYPE, plus the `up` and
// `uptime_seconds` gauges; per collector with label collector="host:port".
std::string render_prometheus(const stats_view& v);
// GET /api/v1/stats and /api/v1/collectors (JSON objects, keys from counter_catalog).
std::string render_stats_json(const stats_view& v);
std::string render_collectors_json(const stats_view& v);

}  // namespace ipfix::stats
