#include "ipfix/mediate/output_template.hpp"

#include <algorithm>
#include <cstring>

#include "ipfix/proto/byte_order.hpp"
#include "ipfix/proto/field.hpp"

namespace ipfix::mediate {
namespace {

using proto::field_spec;
using proto::known_field;
using proto::protocol_version;

constexpr uint32_t cisco_pen = 9;
constexpr uint16_t system_init_time_milliseconds = 160;

// NetFlow v9 options scope types (RFC 3954 §6.1) as the IPFIX elements that mean the same.
uint16_t ipfix_scope_for_v9(uint16_t scope_type) {
    switch (scope_type) {
        case 1: return 144;  // System -> exportingProcessId
        case 2: return 10;   // Interface -> ingressInterface
        case 3: return 141;  // Line Card -> lineCardId
        case 4: return 143;  // Cache -> meteringProcessId
        case 5: return 145;  // Template -> templateId
        default: return scope_type;
    }
}

field_spec converted(const field_spec& f, protocol_version from, protocol_version to) {
    if (to != protocol_version::ipfix || from == protocol_version::ipfix) return f;
    field_spec out = f;
    if (f.is_scope && from == protocol_version::netflow_v9) out.id = ipfix_scope_for_v9(f.id);
    // v9 vendor field types above 32767 would read as enterprise elements in IPFIX; Cisco,
    // whose they are, exports them in IPFIX under its own enterprise number.
    if (out.id & 0x8000) {
        out.id = static_cast<uint16_t>(out.id & 0x7FFF);
        out.pen = cisco_pen;
    }
    return out;
}

bool has_address(const proto::template_def& in) {
    return in.has(known_field::source_ipv4) || in.has(known_field::source_ipv6) ||
           in.has(known_field::destination_ipv4) || in.has(known_field::destination_ipv6);
}

bool has_sys_up_time(const proto::template_def& in) {
    return in.has(known_field::flow_start_sys_up_time) || in.has(known_field::flow_end_sys_up_time);
}

}  // namespace

output_template make_output_template(const proto::template_def& in, protocol_version out_version,
                                     const added_fields& add, const proto::ip_address& exporter) {
    output_template t;
    t.id = in.id == 0 ? 256 : in.id;  // v5 has no template id of its own
    t.version = out_version;
    t.options = in.options;
    t.scope_count = in.options ? in.scope_count : 0;
    t.fields.reserve(in.fields.size() + 8);
    for (const field_spec& f : in.fields) t.fields.push_back(converted(f, in.version, out_version));
    // Options records, and records with no address to look up, pass through unchanged.
    if (in.options || !has_address(in)) return t;

    const bool ipfix = out_version == protocol_version::ipfix;
    auto append = [&](added_kind kind, field_spec spec) {
        t.added.push_back({kind, spec});
        t.fields.push_back(spec);
        if (spec.length == proto::variable_length) t.variable_added = true;
        else t.fixed_added_length += spec.length;
    };
    t.source_as_index = in.index_of(known_field::source_as);
    t.destination_as_index = in.index_of(known_field::destination_as);
    if (add.source_as && t.source_as_index < 0) append(added_kind::source_as, {proto::ie::bgp_source_as_number, 4});
    if (add.destination_as && t.destination_as_index < 0) {
        append(added_kind::destination_as, {proto::ie::bgp_destination_as_number, 4});
    }
    if (ipfix && add.names_pen != 0) {
        if (add.source_as_name_id) {
            append(added_kind::source_as_name, {add.source_as_name_id, proto::variable_length, add.names_pen});
        }
        if (add.destination_as_name_id) {
            append(added_kind::destination_as_name, {add.destination_as_name_id, proto::variable_length, add.names_pen});
        }
        if (add.source_country_id) append(added_kind::source_country, {add.source_country_id, 2, add.names_pen});
        if (add.destination_country_id) {
            append(added_kind::destination_country, {add.destination_country_id, 2, add.names_pen});
        }
    }
    if (add.original_exporter && !exporter.empty()) {
        const bool v4 = exporter.family == 4;
        append(added_kind::original_exporter_address,
               {v4 ? proto::ie::original_exporter_ipv4_address : proto::ie::original_exporter_ipv6_address,
                static_cast<uint16_t>(v4 ? 4 : 16)});
        append(added_kind::original_domain, {proto::ie::original_observation_domain_id, 4});
    }
    if (ipfix && in.version != protocol_version::ipfix && has_sys_up_time(in)) {
        append(added_kind::system_init_time, {system_init_time_milliseconds, 8});
    }
    return t;
}

namespace {

size_t name_length(std::string_view s) { return std::min<size_t>(s.size(), 0xFFFF); }
size_t varlen_size(size_t n) { return n < 255 ? 1 + n : 3 + n; }

uint8_t* put_varlen(uint8_t* p, std::string_view s) {
    const size_t n = name_length(s);
    if (n < 255) {
        *p++ = static_cast<uint8_t>(n);
    } else {
        *p++ = 255;
        proto::store_be16(p, static_cast<uint16_t>(n));
        p += 2;
    }
    if (n) std::memcpy(p, s.data(), n);
    return p + n;
}

void put_as(const proto::record_view& rec, int index, uint32_t as, uint8_t* out) {
    const proto::field_loc l = rec.locs[index];
    if (l.length == 0 || l.length > 8) return;
    // A field narrower than the number gets AS_TRANS (RFC 6793), never a truncated value.
    const uint64_t max = l.length >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * l.length)) - 1;
    proto::store_uint(out + l.offset, l.length, as <= max ? as : (as_trans <= max ? as_trans : 0));
}

}  // namespace

size_t output_record_length(const output_template& t, const proto::record_view& rec, const record_values& v) {
    size_t n = rec.length + t.fixed_added_length;
    if (!t.variable_added) return n;
    for (const added_value& a : t.added) {
        if (a.kind == added_kind::source_as_name) n += varlen_size(name_length(v.source_as_name));
        else if (a.kind == added_kind::destination_as_name) n += varlen_size(name_length(v.destination_as_name));
    }
    return n;
}

void write_output_record(const output_template& t, const proto::record_view& rec, const record_values& v,
                         const proto::ip_address& exporter, uint32_t domain, uint64_t system_init_ms,
                         uint8_t* out) {
    std::memcpy(out, rec.data, rec.length);
    if (v.write_source_as && t.source_as_index >= 0) put_as(rec, t.source_as_index, v.source_as, out);
    if (v.write_destination_as && t.destination_as_index >= 0) {
        put_as(rec, t.destination_as_index, v.destination_as, out);
    }
    uint8_t* p = out + rec.length;
    for (const added_value& a : t.added) {
        switch (a.kind) {
            case added_kind::source_as: proto::store_be32(p, v.source_as); p += 4; break;
            case added_kind::destination_as: proto::store_be32(p, v.destination_as); p += 4; break;
            case added_kind::source_as_name: p = put_varlen(p, v.source_as_name); break;
            case added_kind::destination_as_name: p = put_varlen(p, v.destination_as_name); break;
            case added_kind::source_country: std::memcpy(p, v.source_country.data(), 2); p += 2; break;
            case added_kind::destination_country: std::memcpy(p, v.destination_country.data(), 2); p += 2; break;
            case added_kind::original_exporter_address:
                std::memcpy(p, exporter.bytes.data(), exporter.size());
                p += exporter.size();
                break;
            case added_kind::original_domain: proto::store_be32(p, domain); p += 4; break;
            case added_kind::system_init_time: proto::store_be64(p, system_init_ms); p += 8; break;
        }
    }
}

}  // namespace ipfix::mediate
