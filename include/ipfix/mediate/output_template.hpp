// The output template for one input template: every input field kept in order, then the added
// fields; plus the plan for turning an input record into an output record.
#pragma once

#include <cstdint>
#include <vector>

#include "ipfix/mediate/added_fields.hpp"
#include "ipfix/proto/ip_address.hpp"
#include "ipfix/proto/record_view.hpp"
#include "ipfix/proto/template_def.hpp"

namespace ipfix::mediate {

// One appended field and where its value comes from.
enum class added_kind : uint8_t {
    source_as,
    destination_as,
    source_as_name,
    destination_as_name,
    source_country,
    destination_country,
    original_exporter_address,
    original_domain,
    system_init_time,   // systemInitTimeMilliseconds, for sysUpTime-relative times converted to IPFIX
};

struct added_value {
    added_kind kind;
    proto::field_spec spec;
};

struct output_template {
    uint16_t id = 0;
    proto::protocol_version version = proto::protocol_version::ipfix;
    bool options = false;
    uint16_t scope_count = 0;
    std::vector<proto::field_spec> fields;   // as sent
    std::vector<added_value> added;          // the tail of `fields`
    int source_as_index = -1;                // input field to overwrite in place, or -1
    int destination_as_index = -1;
    uint32_t fixed_added_length = 0;         // bytes of the added fields when fixed-length
    bool variable_added = false;             // any added field is variable-length
};

// Builds the output template of `in` for the output version `out_version` (same as the input,
// or IPFIX). Options templates get nothing added. v9 output carries no enterprise elements.
output_template make_output_template(const proto::template_def& in, proto::protocol_version out_version,
                                     const added_fields& add, const proto::ip_address& exporter);

// Bytes the output record of `rec` takes (input record plus added values).
size_t output_record_length(const output_template& t, const proto::record_view& rec, const record_values& v);

// Writes the output record into `out` (output_record_length() bytes). `system_init_ms` is the
// exporter's boot time for converted sysUpTime fields; `exporter` and `domain` for RFC 7119.
void write_output_record(const output_template& t, const proto::record_view& rec, const record_values& v,
                         const proto::ip_address& exporter, uint32_t domain, uint64_t system_init_ms,
                         uint8_t* out);

}  // namespace ipfix::mediate
