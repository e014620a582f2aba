// The stats port's JSON answers as plain data (/api/v1/stats, /as, /top, /exporters), parsed
// without trusting their shape: what the renderers and ipfix-status work from. Counters keep the
// daemon's order and names, so a counter the daemon adds later shows up without a change here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipfix::tools {

struct named_counter {
    std::string key;
    uint64_t value = 0;
};

struct counter_section {
    std::string name;  // "traffic", "drops", "decode", "malformed", "enrich"
    std::vector<named_counter> counters;
};

struct collector_stats {
    std::string name;                     // "host:port"
    std::vector<named_counter> counters;  // messages_in, messages_out, records_out, ...
    std::string state;                    // empty unless the daemon says
    uint64_t get(std::string_view key) const;  // 0 when absent
};

struct daemon_stats {
    bool running = true;
    double uptime_seconds = 0;
    std::vector<counter_section> sections;
    std::vector<collector_stats> collectors;
    const counter_section* section(std::string_view name) const;
    uint64_t get(std::string_view section, std::string_view key) const;  // 0 when absent
};

struct as_entry {
    uint32_t as = 0;
    std::string name;
    uint64_t records = 0, bytes = 0;
};
struct as_stats {
    std::vector<as_entry> source, destination;
};

struct talker {
    std::string address;
    uint64_t records = 0, bytes = 0;
};

struct exporter_stats {
    std::string address;
    uint16_t port = 0;
    unsigned version = 0;
    uint64_t datagrams = 0, records = 0, bytes = 0, sequence_gaps = 0, malformed = 0, last_seen_ms = 0;
};

// Each parser throws std::runtime_error with the reason when the text is not the expected JSON.
daemon_stats parse_stats(std::string_view json_text);
as_stats parse_as(std::string_view json_text);
std::vector<talker> parse_top(std::string_view json_text);
std::vector<exporter_stats> parse_exporters(std::string_view json_text);

}  // namespace ipfix::tools
