#include "ipfix/proto/template_def.hpp"

#include <array>
#include <iterator>
#include <utility>

namespace ipfix::proto {
namespace {

// Which IANA element fills each known field; the first listed wins when a template has several.
struct known_binding {
    known_field field;
    uint16_t ie;
};
constexpr known_binding bindings[] = {
    {known_field::source_ipv4, ie::source_ipv4_address},
    {known_field::destination_ipv4, ie::destination_ipv4_address},
    {known_field::source_ipv6, ie::source_ipv6_address},
    {known_field::destination_ipv6, ie::destination_ipv6_address},
    {known_field::next_hop_ipv4, ie::ip_next_hop_ipv4_address},
    {known_field::next_hop_ipv6, ie::ip_next_hop_ipv6_address},
    {known_field::bgp_next_hop_ipv4, ie::bgp_next_hop_ipv4_address},
    {known_field::bgp_next_hop_ipv6, ie::bgp_next_hop_ipv6_address},
    {known_field::source_as, ie::bgp_source_as_number},
    {known_field::destination_as, ie::bgp_destination_as_number},
    {known_field::ingress_interface, ie::ingress_interface},
    {known_field::egress_interface, ie::egress_interface},
    {known_field::octets, ie::octet_delta_count},
    {known_field::octets, ie::octet_total_count},
    {known_field::packets, ie::packet_delta_count},
    {known_field::packets, ie::packet_total_count},
    {known_field::protocol, ie::protocol_identifier},
    {known_field::source_port, ie::source_transport_port},
    {known_field::destination_port, ie::destination_transport_port},
    {known_field::flow_start_sys_up_time, ie::flow_start_sys_up_time},
    {known_field::flow_end_sys_up_time, ie::flow_end_sys_up_time},
    {known_field::flow_start_seconds, ie::flow_start_seconds},
    {known_field::flow_end_seconds, ie::flow_end_seconds},
    {known_field::flow_start_milliseconds, ie::flow_start_milliseconds},
    {known_field::flow_end_milliseconds, ie::flow_end_milliseconds},
};

// For each IANA element id under 256, 1 + its place in `bindings`, or 0 when it binds nothing:
// one pass over a template's fields finds its known fields (a pass per binding cost ~3,000
// instructions per template learnt).
constexpr size_t binding_ids = 256;
constexpr std::array<uint8_t, binding_ids> binding_of_ie = [] {
    std::array<uint8_t, binding_ids> a{};
    for (size_t b = 0; b < std::size(bindings); ++b) {
        if (a[bindings[b].ie] == 0) a[bindings[b].ie] = static_cast<uint8_t>(b + 1);
    }
    return a;
}();
static_assert(std::size(bindings) < 255);
// binding_of_ie keeps one binding per element: an element filling two known fields would
// silently fill only the first.
constexpr bool each_element_binds_once() {
    for (size_t a = 0; a < std::size(bindings); ++a) {
        for (size_t b = a + 1; b < std::size(bindings); ++b) {
            if (bindings[a].ie == bindings[b].ie) return false;
        }
    }
    return true;
}
static_assert(each_element_binds_once());

// Where the four values enrichment reads lie in every record, when that is the same in every
// record: always in a fixed-length template; in a variable-length one only for fields before
// the first variable-length field (its first run), which every record has at the same offsets.
void find_enrichment_fields(template_def& t) {
    const std::vector<field_loc>& locs = t.variable ? t.run_locs : t.fixed_locs;
    const size_t same_in_every_record = t.variable ? t.runs.front().fixed : t.fields.size();
    bool known = true;
    // The field's location if its length is within [want_min, want_max]; absent (length 0) if
    // the template lacks it or has it at another length; `known` false if it moves per record.
    const auto loc_of = [&](known_field k, uint16_t want_min, uint16_t want_max) {
        const int i = t.index_of(k);
        if (i < 0) return field_loc{};
        if (static_cast<size_t>(i) >= same_in_every_record) {
            known = false;
            return field_loc{};
        }
        const field_loc l = locs[static_cast<size_t>(i)];
        return l.length >= want_min && l.length <= want_max ? l : field_loc{};
    };
    // As the accessors choose: IPv4 when the template has it at 4 bytes, else IPv6 at 16.
    const auto address_of = [&](known_field v4, known_field v6) {
        const field_loc l = loc_of(v4, 4, 4);
        return l.length ? l : loc_of(v6, 16, 16);
    };
    t.fixed.source_address = address_of(known_field::source_ipv4, known_field::source_ipv6);
    t.fixed.destination_address = address_of(known_field::destination_ipv4, known_field::destination_ipv6);
    t.fixed.source_as = loc_of(known_field::source_as, 1, 8);
    t.fixed.destination_as = loc_of(known_field::destination_as, 1, 8);
    t.fixed_enrichment = known;
    if (!known) t.fixed = {};
}

}  // namespace

bool finalize_template(template_def& t) {
    t.known.fill(-1);
    t.fixed = {};
    t.fixed_enrichment = false;
    t.variable = false;
    uint32_t offset = 0;
    for (size_t i = 0; i < t.fields.size(); ++i) {
        const field_spec& f = t.fields[i];
        if (f.length == variable_length) {
            t.variable = true;
            offset += 1;  // the shortest length prefix
        } else {
            offset += f.length;
        }
    }
    // Bindings in priority order (a delta before a total), the first matching field for each:
    // a field takes a known field that is unset or held by a binding listed later.
    std::array<uint8_t, known_field_count> held_by{};  // 1 + binding place, 0 while unset
    for (size_t i = 0; i < t.fields.size(); ++i) {
        const field_spec& f = t.fields[i];
        if (f.pen != 0 || f.is_scope || f.id >= binding_ids) continue;
        const uint8_t b = binding_of_ie[f.id];
        if (b == 0) continue;
        const size_t k = static_cast<size_t>(bindings[b - 1].field);
        if (held_by[k] != 0 && held_by[k] <= b) continue;
        held_by[k] = b;
        t.known[k] = static_cast<int16_t>(i);
    }
    t.min_record_length = offset;
    t.fixed_locs.clear();
    t.runs.clear();
    t.run_locs.clear();
    if (offset > 0xFFFF) return false;
    // (n * m) >> 32 with m = ceil(2^32 / len) is floor(n / len) for n, len < 2^16: m * len is
    // 2^32 + e with e < len, so n * m overshoots n * 2^32 / len by n * e / len < 2^32 / len, less
    // than the distance from there to the next multiple of 2^32 (at least 2^32 / len).
    t.record_length_reciprocal = offset == 0 ? 0 : ((uint64_t{1} << 32) + offset - 1) / offset;
    if (!t.variable) {
        t.fixed_locs.reserve(t.fields.size());
        uint16_t at = 0;
        for (const field_spec& f : t.fields) {
            t.fixed_locs.push_back({at, f.length});
            at = static_cast<uint16_t>(at + f.length);
        }
    } else {
        t.run_locs.reserve(t.fields.size());
        uint32_t taken = 0;  // the least the fields so far take
        varlen_run r;
        for (size_t i = 0; i < t.fields.size(); ++i) {
            const field_spec& f = t.fields[i];
            if (f.length != variable_length) {
                t.run_locs.push_back({r.fixed_bytes, f.length});
                r.fixed_bytes = static_cast<uint16_t>(r.fixed_bytes + f.length);
                ++r.fixed;
                taken += f.length;
                continue;
            }
            t.run_locs.push_back({});
            taken += 1;
            r.need_after = static_cast<uint16_t>(offset - taken);
            t.runs.push_back(r);
            r = {};
            r.first = static_cast<uint16_t>(i + 1);
        }
        t.runs.push_back(r);
    }
    find_enrichment_fields(t);
    return true;
}

const template_def& netflow_v5_template() {
    // The v5 flow record (48 bytes) in IANA's terms; the pads are paddingOctets.
    static const template_def t = [] {
        template_def d;
        d.id = 0;
        d.version = protocol_version::netflow_v5;
        d.fields = {
            {ie::source_ipv4_address, 4},    {ie::destination_ipv4_address, 4},
            {ie::ip_next_hop_ipv4_address, 4}, {ie::ingress_interface, 2},
            {ie::egress_interface, 2},       {ie::packet_delta_count, 4},
            {ie::octet_delta_count, 4},      {ie::flow_start_sys_up_time, 4},
            {ie::flow_end_sys_up_time, 4},   {ie::source_transport_port, 2},
            {ie::destination_transport_port, 2}, {ie::padding_octets, 1},
            {ie::tcp_control_bits, 1},       {ie::protocol_identifier, 1},
            {ie::ip_class_of_service, 1},    {ie::bgp_source_as_number, 2},
            {ie::bgp_destination_as_number, 2}, {ie::source_ipv4_prefix_length, 1},
            {ie::destination_ipv4_prefix_length, 1}, {ie::padding_octets, 2},
        };
        finalize_template(d);
        return d;
    }();
    return t;
}

}  // namespace ipfix::proto
