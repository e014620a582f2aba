// The usual questions put to retained records, as one predicate for retention_store::query:
// an exporter, an address (source or destination), an AS (source or destination). Unset parts
// match everything; set ones must all match.
//
//   store::record_filter f; f.as = 64500;
//   r.query(from, to, now, std::cref(f), emit);
#pragma once

#include <cstdint>
#include <optional>

#include "ipfix/pipeline/flow_summary.hpp"

namespace ipfix::store {

struct record_filter {
    std::optional<proto::ip_address> exporter;
    std::optional<proto::ip_address> address;
    std::optional<uint32_t> as;

    bool operator()(const pipeline::flow_summary& s) const {
        if (exporter && !(s.exporter == *exporter)) return false;
        if (address && !(s.source == *address) && !(s.destination == *address)) return false;
        if (as && s.source_as != *as && s.destination_as != *as) return false;
        return true;
    }
};

}  // namespace ipfix::store
