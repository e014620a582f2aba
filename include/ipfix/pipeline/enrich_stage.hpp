// The enrich stage: for each decoded record, the AS numbers (and names, countries) of its
// source and destination from the compiled table, and whether policy lets them replace what
// the router sent. An address is looked up only where its AS may be written or names are
// wanted; a message's lookups go to the table as one burst. Never calls libmaxminddb, never
// allocates once the buffers have grown.
#pragma once

#include <cstdint>
#include <vector>

#include "ipfix/enrich/as_policy.hpp"
#include "ipfix/enrich/prefix_table.hpp"
#include "ipfix/mediate/added_fields.hpp"
#include "ipfix/proto/decoder.hpp"

namespace ipfix::pipeline {

struct enrich_counters {
    uint64_t records = 0;          // records seen by the stage
    uint64_t no_address = 0;       // records whose template has no address fields
    uint64_t lookups = 0;          // addresses looked up (AS missing or bad, override, or names)
    uint64_t not_found = 0;        // lookups the database had no AS for
    uint64_t filled = 0;           // AS written where the record lacked it or had a bad value
    uint64_t overridden = 0;       // AS written over a good value (policy: override)
    uint64_t kept = 0;             // the router's value kept (good value, or policy: never)
    enrich_counters& operator+=(const enrich_counters& o);
};

struct direction_policy {
    enrich::as_policy source = enrich::as_policy::fill;
    enrich::as_policy destination = enrich::as_policy::fill;
};

// One worker's buffers for enrich_records, reused from message to message.
struct enrich_scratch {
    std::vector<proto::ip_address> addresses;  // to look up, in burst order
    std::vector<uint32_t> targets;             // per address: record << 3 | flags
    std::vector<uint32_t> rows;                // per address: the table's attribute row
};

// Fills `out` with one entry per record of `msg`.
void enrich_records(const proto::decoded_message& msg, const enrich::prefix_table& table,
                    direction_policy policy, const enrich::as_ranges& bad_as, bool names,
                    enrich_scratch& scratch, std::vector<mediate::record_values>& out,
                    enrich_counters& counters);

}  // namespace ipfix::pipeline
