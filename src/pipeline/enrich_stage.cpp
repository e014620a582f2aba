#include "ipfix/pipeline/enrich_stage.hpp"

namespace ipfix::pipeline {
namespace {

struct side {
    uint32_t& as;
    bool& write;
    std::string_view& name;
    std::array<char, 2>& country;
};

// One direction of one record: look the address up and decide whether the value goes in.
void enrich_side(const proto::ip_address& addr, std::optional<uint64_t> present, enrich::as_policy policy,
                 const enrich::as_ranges& bad, const enrich::prefix_table& table, bool names, side out,
                 enrich_counters& c) {
    if (policy == enrich::as_policy::never) {
        ++c.kept;
        return;
    }
    ++c.lookups;
    const enrich::as_attributes& a = table.attributes(table.find(addr));
    if (names) {
        out.name = table.org_name(a.org);
        out.country = a.country;
    }
    if (a.asn == 0) {
        ++c.not_found;
        return;
    }
    out.as = a.asn;
    if (!enrich::replaces(policy, present, bad)) {
        ++c.kept;
        return;
    }
    out.write = true;
    if (present && !bad.contains(*present)) ++c.overridden;
    else ++c.filled;
}

}  // namespace

enrich_counters& enrich_counters::operator+=(const enrich_counters& o) {
    records += o.records;
    no_address += o.no_address;
    lookups += o.lookups;
    not_found += o.not_found;
    filled += o.filled;
    overridden += o.overridden;
    kept += o.kept;
    return *this;
}

void enrich_records(const proto::decoded_message& msg, const enrich::prefix_table& table, direction_policy policy,
                    const enrich::as_ranges& bad_as, bool names, std::vector<mediate::record_values>& out,
                    enrich_counters& counters) {
    out.assign(msg.records.size(), mediate::record_values{});
    counters.records += msg.records.size();
    for (size_t i = 0; i < msg.records.size(); ++i) {
        const proto::record_view& r = msg.records[i];
        mediate::record_values& v = out[i];
        const proto::ip_address src = r.source_address();
        const proto::ip_address dst = r.destination_address();
        if (r.tmpl->options || (src.empty() && dst.empty())) {
            ++counters.no_address;
            continue;
        }
        if (!src.empty()) {
            enrich_side(src, r.source_as(), policy.source, bad_as, table, names,
                        {v.source_as, v.write_source_as, v.source_as_name, v.source_country}, counters);
        }
        if (!dst.empty()) {
            enrich_side(dst, r.destination_as(), policy.destination, bad_as, table, names,
                        {v.destination_as, v.write_destination_as, v.destination_as_name, v.destination_country},
                        counters);
        }
    }
}

}  // namespace ipfix::pipeline
