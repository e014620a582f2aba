// What the stats port shows about the traffic itself (exporters, their templates, the top AS
// numbers and talkers: pipeline/traffic_tally.hpp) and the one thing it may change: `reset`,
// allowed only with the configured token (general.stats_token; empty: never).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/enrich/as_database.hpp"
#include "ipfix/pipeline/traffic_tally.hpp"

namespace ipfix::stats {

struct traffic_source {
    std::function<pipeline::traffic_report()> read;  // the workers' tallies merged; unset: not available
    std::function<void()> reset;                     // clears them
    std::function<std::string(uint32_t)> as_name;    // organisation of an AS number, "" when unknown
    std::string token;                               // empty: no state-changing commands
};

// The daemon's: reads `tallies()` (the pipeline's, once started) with a short wait for the
// workers, names AS numbers from `db` (may be null), the token and template lifetime from `config`.
traffic_source traffic_from(const config::daemon_config& config, const enrich::as_database* db,
                            std::function<std::vector<pipeline::traffic_tally*>()> tallies);

// AS number -> organisation from the current table of an as_database, rebuilt when the table
// is reloaded. For the stats thread (not thread-safe).
class as_names {
public:
    explicit as_names(const enrich::as_database* db) : db_(db) {}
    std::string name(uint32_t as);

private:
    const enrich::as_database* db_;
    uint64_t generation_ = ~uint64_t{0};
    std::shared_ptr<const enrich::prefix_table> table_;
    std::vector<std::pair<uint32_t, uint32_t>> orgs_;  // (AS, org index), sorted by AS
};

// Constant-time comparison of a presented token with the configured one (false when either
// is empty).
bool token_matches(std::string_view configured, std::string_view presented);

}  // namespace ipfix::stats
