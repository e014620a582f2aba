// Every counter the stats port shows, named once for all its renderings: the row of the telnet
// table, the JSON key and the Prometheus family (with its label), so the three never disagree.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "ipfix/pipeline/live_pipeline.hpp"

namespace ipfix::stats {

struct counter_def {
    std::string_view section;      // "traffic", "drops", "decode", "malformed", "enrich", "store", "port"
    std::string_view label;        // the telnet table's row
    std::string_view key;          // the JSON key inside its section
    std::string_view metric;       // Prometheus family without the "ipfix_enricher_" prefix
    std::string_view help;         // Prometheus HELP of the family
    std::string_view label_name;   // empty: no label
    std::string_view label_value;
    std::function<uint64_t(const pipeline::live_stats&)> get;
    bool gauge = false;            // Prometheus type gauge (a level), not counter
};

// Per collector: what its mediator wrote (get), what the TX side sent (get_sent) or dropped
// for one reason (drop).
struct collector_counter_def {
    std::string_view label;
    std::string_view key;
    std::string_view metric;
    std::string_view help;
    uint64_t (*get)(const mediate::mediate_counters&) = nullptr;
    uint64_t (*get_sent)(const pipeline::collector_tx_counters&) = nullptr;
    std::string_view label_name = {};  // a Prometheus label beside collector="..."; empty: none
    std::string_view label_value = {};
    int drop = -1;                     // without get and get_sent: the TX side's drops of this tx_drop

    // Collector i's value (0 where `s` has no such collector).
    uint64_t value(const pipeline::live_stats& s, size_t i) const;
};

// In display order; entries of one Prometheus family are adjacent (in both lists).
std::span<const counter_def> daemon_counters();
std::span<const collector_counter_def> collector_counters();

// The sections of daemon_counters() in display order, with their table titles.
struct section_def {
    std::string_view key;
    std::string_view title;
};
std::span<const section_def> counter_sections();

}  // namespace ipfix::stats
