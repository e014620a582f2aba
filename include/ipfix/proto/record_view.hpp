// One data record, not copied: its template, its bytes, and where each field lies.
// Valid until the next decode() on the decoder that produced it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "ipfix/proto/byte_order.hpp"
#include "ipfix/proto/ip_address.hpp"
#include "ipfix/proto/template_def.hpp"

namespace ipfix::proto {

struct record_view {
    const template_def* tmpl = nullptr;
    const uint8_t* data = nullptr;
    uint16_t length = 0;
    const field_loc* locs = nullptr;  // tmpl->fields.size() entries

    size_t field_count() const { return tmpl->fields.size(); }
    const field_spec& spec(size_t i) const { return tmpl->fields[i]; }
    std::span<const uint8_t> value(size_t i) const { return {data + locs[i].offset, locs[i].length}; }
    std::span<const uint8_t> bytes() const { return {data, length}; }

    bool has(known_field f) const { return tmpl->has(f); }

    // The field as an unsigned integer of any encoded size up to 8 bytes; nullopt if absent.
    std::optional<uint64_t> unsigned_value(known_field f) const {
        const int i = tmpl->index_of(f);
        if (i < 0) return std::nullopt;
        const field_loc l = locs[i];
        if (l.length == 0 || l.length > 8) return std::nullopt;
        return load_uint(data + l.offset, l.length);
    }

    // An address field; empty (family 0) if the template lacks it or it has the wrong size.
    ip_address address(known_field f) const { return address_at(address_loc(f)); }

    // Each returns a prvalue so the address is built in the caller's object and never copied:
    // a copy re-reads with wide loads bytes just written piecewise, a store-forwarding stall
    // that cost more than the decoding itself.
    // Fixed-length templates (nearly all) answer these four from the template's first cache
    // line; variable-length ones through the per-record locations.
    ip_address source_address() const {
        if (!tmpl->variable) return address_at(tmpl->fixed.source_address);
        return address_either(known_field::source_ipv4, known_field::source_ipv6);
    }
    ip_address destination_address() const {
        if (!tmpl->variable) return address_at(tmpl->fixed.destination_address);
        return address_either(known_field::destination_ipv4, known_field::destination_ipv6);
    }
    ip_address next_hop() const { return address_either(known_field::next_hop_ipv4, known_field::next_hop_ipv6); }
    ip_address bgp_next_hop() const {
        return address_either(known_field::bgp_next_hop_ipv4, known_field::bgp_next_hop_ipv6);
    }
    std::optional<uint64_t> source_as() const {
        if (!tmpl->variable) return unsigned_at(tmpl->fixed.source_as);
        return unsigned_value(known_field::source_as);
    }
    std::optional<uint64_t> destination_as() const {
        if (!tmpl->variable) return unsigned_at(tmpl->fixed.destination_as);
        return unsigned_value(known_field::destination_as);
    }
    std::optional<uint64_t> ingress_interface() const { return unsigned_value(known_field::ingress_interface); }
    std::optional<uint64_t> egress_interface() const { return unsigned_value(known_field::egress_interface); }
    std::optional<uint64_t> octets() const { return unsigned_value(known_field::octets); }
    std::optional<uint64_t> packets() const { return unsigned_value(known_field::packets); }

private:
    static constexpr bool is_ipv6_field(known_field f) {
        return f == known_field::source_ipv6 || f == known_field::destination_ipv6 ||
               f == known_field::next_hop_ipv6 || f == known_field::bgp_next_hop_ipv6;
    }
    // The field's location when the template has it with its family's size, else null.
    const field_loc* address_loc(known_field f) const {
        const int i = tmpl->index_of(f);
        if (i < 0) return nullptr;
        const field_loc* l = locs + i;
        return l->length == (is_ipv6_field(f) ? 16 : 4) ? l : nullptr;
    }
    ip_address address_at(const field_loc* l) const { return l == nullptr ? ip_address{} : address_at(*l); }
    ip_address address_at(field_loc l) const { return ip_address::of_size(data + l.offset, l.length); }
    // l.length is 0 (absent) or 1..8 (finalize_template checked it): the usual sizes first;
    // [[likely]]: 4-byte AS numbers fall through, the other sizes take a branch.
    std::optional<uint64_t> unsigned_at(field_loc l) const {
        const uint8_t* p = data + l.offset;
        if (l.length == 4) [[likely]] return load_be32(p);
        if (l.length == 2) return load_be16(p);
        if (l.length == 0) return std::nullopt;
        return load_uint(p, l.length);
    }
    ip_address address_either(known_field v4, known_field v6) const {
        const field_loc* l = address_loc(v4);
        return address_at(l ? l : address_loc(v6));
    }
};

}  // namespace ipfix::proto
