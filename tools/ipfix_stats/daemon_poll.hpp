// One look at a daemon over its stats port: /api/v1/stats and, for what the dashboard shows,
// /as, /top and /exporters. What a daemon does not serve (501, 404, a bad answer) is kept as the
// reason it is missing, so the screens can say "n/a" instead of failing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api_model.hpp"
#include "http_get.hpp"

namespace ipfix::tools {

template <class T>
struct fetched {
    std::optional<T> value;
    std::string missing;  // with no value: why ("HTTP 501", "bad answer: ...")
};

struct daemon_poll {
    bool reachable = false;
    std::string error;        // not reachable: why
    double at_seconds = 0;    // monotonic time of the poll, for rates
    uint64_t wall_ms = 0;     // wall clock of the poll (exporters' last_seen_ms is wall clock)
    fetched<daemon_stats> stats;
    fetched<as_stats> as;
    fetched<std::vector<talker>> top;
    fetched<std::vector<exporter_stats>> exporters;
};

struct poll_options {
    unsigned top_n = 10;
    bool details = true;  // also /as, /top, /exporters
    std::chrono::milliseconds timeout{2000};
};

daemon_poll poll_daemon(const endpoint& where, const poll_options& o);

}  // namespace ipfix::tools
