// ipfix-status' verdict as a pure function of what was observed (service state, two stats polls
// a sample apart, recent error lines), and its text and JSON renderings. Exit status: 0 healthy,
// 1 degraded (drops or errors rising, a collector stalled or down), 2 down (service not active,
// stats port unreachable, pipeline stopped).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api_model.hpp"

namespace ipfix::tools {

struct service_state {
    bool systemd = false;           // false: not under systemd (no systemd, or no such unit)
    std::string unit;               // "ipfix-enricher"
    std::string load_state;         // LoadState: "loaded", "not-found", ...
    std::string active_state;       // ActiveState: "active", "failed", "inactive", ...
    std::string sub_state;          // SubState: "running", "dead", ...
    std::string started;            // ExecMainStartTimestamp, as systemd prints it
    std::string note;               // why systemd was not used
};

struct status_inputs {
    service_state service;
    std::string stats_port;                 // "127.0.0.1:9999"
    std::string unreachable;                // non-empty: the stats port did not answer, why
    std::optional<daemon_stats> first, second;  // the two polls
    double sample_seconds = 0;              // between them
    std::vector<std::string> recent_errors;
    std::string recent_errors_source;       // "journal", a file name, or "" (none looked at)
};

enum class health : unsigned char { healthy = 0, degraded = 1, down = 2 };

struct collector_health {
    std::string collector;
    std::string state;  // "ok" (sent in the sample), "idle", "stalled" (fed, nothing sent), or the daemon's
    uint64_t messages_in = 0, messages_out = 0, records_out = 0;
};

struct status_report {
    health verdict = health::healthy;
    std::vector<std::string> reasons;  // why not healthy
    status_inputs in;
    double datagrams_per_second = 0, records_per_second = 0, bytes_in_per_second = 0, bytes_out_per_second = 0;
    uint64_t drops = 0, drops_in_sample = 0, errors = 0, errors_in_sample = 0;
    std::vector<collector_health> collectors;
};

status_report evaluate(status_inputs in);
std::string render_status_text(const status_report& r);
std::string render_status_json(const status_report& r);
std::string_view health_name(health h);

}  // namespace ipfix::tools
