// What every stats rendering (telnet tables, Prometheus text, JSON) is made from: the pipeline's
// counters now and, for rates, at the start of the last interval. Plain data, so the renderers are
// pure functions a test can feed exact numbers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ipfix/pipeline/live_pipeline.hpp"

namespace ipfix::stats {

struct stats_view {
    pipeline::live_stats now;
    std::optional<pipeline::live_stats> before;  // none: no rates yet
    double interval_seconds = 0;                 // from `before` to `now`
    double uptime_seconds = 0;                   // since the stats server started
    bool running = true;                         // the pipeline is forwarding
    std::vector<std::string> collectors;         // "host:port", in the order of now.collectors
};

}  // namespace ipfix::stats
