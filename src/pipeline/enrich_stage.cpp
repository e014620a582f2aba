#include "ipfix/pipeline/enrich_stage.hpp"

#include "ipfix/proto/enrichment_fields.hpp"

namespace ipfix::pipeline {
namespace {

// What a looked-up address is for, packed beside its record index.
constexpr uint32_t destination_side = 1;  // else source
constexpr uint32_t write_as = 2;          // policy lets the found AS go into the record
constexpr uint32_t over_good = 4;         // ...over a value that was not bad (an override)
constexpr uint32_t flag_bits = 3;

// Decides for one direction of one record; returns whether the address must be looked up.
bool plan_side(std::optional<uint64_t> present, enrich::as_policy policy, const enrich::as_ranges& bad, bool names,
               uint32_t& flags, enrich_counters& c) {
    if (policy == enrich::as_policy::never) {
        ++c.kept;
        return false;
    }
    const bool write = enrich::replaces(policy, present, bad);
    if (!write && !names) {
        ++c.kept;  // a good value under `fill`: nothing to look up
        return false;
    }
    if (write) flags |= write_as;
    if (write && present && !bad.contains(*present)) flags |= over_good;
    return true;
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
                    const enrich::as_ranges& bad_as, bool names, enrich_scratch& scratch,
                    std::vector<mediate::record_values>& out, enrich_counters& counters) {
    const size_t n = msg.records.size();
    out.assign(n, mediate::record_values{});
    counters.records += n;
    scratch.addresses.clear();
    scratch.targets.clear();
    proto::for_each_enrichment_fields(msg, [&](size_t i, const proto::record_view& r, const proto::enrichment_fields& v) {
        const bool has_source = v.source_address.size != 0;
        const bool has_destination = v.destination_address.size != 0;
        if (r.tmpl->options || (!has_source && !has_destination)) {
            ++counters.no_address;
            return;
        }
        const uint32_t at = static_cast<uint32_t>(i) << flag_bits;
        uint32_t flags = 0;
        if (has_source && plan_side(v.source_as, policy.source, bad_as, names, flags, counters)) {
            scratch.addresses.push_back(v.source_address.address());
            scratch.targets.push_back(at | flags);
        }
        flags = destination_side;
        if (has_destination && plan_side(v.destination_as, policy.destination, bad_as, names, flags, counters)) {
            scratch.addresses.push_back(v.destination_address.address());
            scratch.targets.push_back(at | flags);
        }
    });

    // One burst: the table overlaps the walks, where one find() after another would wait on
    // each cache miss in turn.
    const size_t m = scratch.addresses.size();
    scratch.rows.resize(m);
    table.find_burst(scratch.addresses, scratch.rows.data());
    counters.lookups += m;
    // The rows (and names) are scattered over megabytes: ask for all of them before using any.
    for (size_t j = 0; j < m; ++j) table.prefetch_row(scratch.rows[j]);
    if (names) {
        for (size_t j = 0; j < m; ++j) table.prefetch_name(table.attributes(scratch.rows[j]).org);
        for (size_t j = 0; j < m; ++j) __builtin_prefetch(table.org_name(table.attributes(scratch.rows[j]).org).data());
    }
    for (size_t j = 0; j < m; ++j) {
        const uint32_t t = scratch.targets[j];
        mediate::record_values& v = out[t >> flag_bits];
        const bool dst = (t & destination_side) != 0;
        const enrich::as_attributes& a = table.attributes(scratch.rows[j]);
        if (names) {
            (dst ? v.destination_as_name : v.source_as_name) = table.org_name(a.org);
            (dst ? v.destination_country : v.source_country) = a.country;
        }
        if (a.asn == 0) {
            ++counters.not_found;
            continue;
        }
        (dst ? v.destination_as : v.source_as) = a.asn;
        if (!(t & write_as)) {
            ++counters.kept;
            continue;
        }
        (dst ? v.write_destination_as : v.write_source_as) = true;
        if (t & over_good) ++counters.overridden;
        else ++counters.filled;
    }
}

}  // namespace ipfix::pipeline
