// A learnt (options) template: its field specifiers, the offsets of its fields when all are
// fixed-length, and where the fields that enrichment reads sit. Immutable once built.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "ipfix/proto/field.hpp"

namespace ipfix::proto {

// The fields the enricher and tools read by meaning, whatever the template's order.
enum class known_field : uint8_t {
    source_ipv4,
    destination_ipv4,
    source_ipv6,
    destination_ipv6,
    next_hop_ipv4,
    next_hop_ipv6,
    bgp_next_hop_ipv4,
    bgp_next_hop_ipv6,
    source_as,
    destination_as,
    ingress_interface,
    egress_interface,
    octets,          // octetDeltaCount, else octetTotalCount
    packets,         // packetDeltaCount, else packetTotalCount
    protocol,
    source_port,
    destination_port,
    flow_start_sys_up_time,
    flow_end_sys_up_time,
    flow_start_seconds,
    flow_end_seconds,
    flow_start_milliseconds,
    flow_end_milliseconds,
    count_
};
inline constexpr size_t known_field_count = static_cast<size_t>(known_field::count_);

// Where one field's value lies inside a record (after any variable-length prefix).
struct field_loc {
    uint16_t offset = 0;
    uint16_t length = 0;
};

enum class protocol_version : uint8_t { netflow_v5 = 5, netflow_v9 = 9, ipfix = 10 };

// A run of a variable-length template's fields: `fixed` fixed-length fields from `first`, then
// one variable-length field, except in the last run, which ends with the record. Decoding a
// record places each run's fields where the run starts and reads one length per run.
struct varlen_run {
    uint16_t first = 0;
    uint16_t fixed = 0;
    uint16_t fixed_bytes = 0;  // the fixed fields' length
    uint16_t need_after = 0;   // the least the fields after the run's variable field take
};

// Where, in every record of a template, the values enrichment reads lie. A length
// of 0: absent, or of no usable size (an address that is neither 4 nor 16 bytes, an integer
// over 8). An address is IPv4 when the template has it at 4 bytes, else IPv6.
struct enrichment_locs {
    field_loc source_address;
    field_loc destination_address;
    field_loc source_as;
    field_loc destination_as;
};

// Aligned, with what the readers of a fixed-length template's records take per run and per
// record (where the addresses and AS numbers lie, record length, field locations) in the first
// cache line. Decoding a data set reads the copy beside it in the template table (data_set_plan).
struct alignas(64) template_def {
    enrichment_locs fixed{};  // only when fixed_enrichment
    bool variable = false;
    bool options = false;
    // `fixed` holds for every record: in every fixed-length template, and in a variable-length
    // one whose four values each lie before its first variable-length field or are absent.
    bool fixed_enrichment = false;
    // Record length when fixed; the minimum length (varlen fields empty) otherwise.
    uint32_t min_record_length = 0;
    // ceil(2^32 / min_record_length): a set's record count is (size * this) >> 32, exact for any
    // set and record length under 2^16, where a division per data set took tens of cycles.
    uint64_t record_length_reciprocal = 0;
    // Fixed-length templates: the location of each field. Empty when any field is variable.
    std::vector<field_loc> fixed_locs;
    // Index into `fields` of each known field, or -1.
    std::array<int16_t, known_field_count> known{};
    uint16_t id = 0;
    protocol_version version = protocol_version::ipfix;
    uint16_t scope_count = 0;
    std::vector<field_spec> fields;
    // The template record exactly as it came on the wire (id, count, [scope count], specifiers),
    // to tell a refresh from a redefinition and to re-send it unchanged.
    std::vector<uint8_t> wire;
    // Variable-length templates: their runs, and each fixed field's location within its run.
    std::vector<varlen_run> runs;
    std::vector<field_loc> run_locs;

    int index_of(known_field f) const { return known[static_cast<size_t>(f)]; }
    bool has(known_field f) const { return index_of(f) >= 0; }
};

// Builds the derived parts (locations, known fields, lengths) from `fields`. Returns false when
// the fields cannot form records (a fixed record longer than 65535 bytes).
bool finalize_template(template_def& t);

// The fixed template NetFlow v5 records are presented with, so v5 flows read like any other.
const template_def& netflow_v5_template();

}  // namespace ipfix::proto
