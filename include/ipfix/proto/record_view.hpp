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
    ip_address address(known_field f) const {
        const int i = tmpl->index_of(f);
        if (i < 0) return {};
        const field_loc l = locs[i];
        const bool v6 = f == known_field::source_ipv6 || f == known_field::destination_ipv6 ||
                        f == known_field::next_hop_ipv6 || f == known_field::bgp_next_hop_ipv6;
        if (!v6 && l.length == 4) return ip_address::v4(data + l.offset);
        if (v6 && l.length == 16) return ip_address::v6(data + l.offset);
        return {};
    }

    ip_address source_address() const {
        ip_address a = address(known_field::source_ipv4);
        return a.empty() ? address(known_field::source_ipv6) : a;
    }
    ip_address destination_address() const {
        ip_address a = address(known_field::destination_ipv4);
        return a.empty() ? address(known_field::destination_ipv6) : a;
    }
    ip_address next_hop() const {
        ip_address a = address(known_field::next_hop_ipv4);
        return a.empty() ? address(known_field::next_hop_ipv6) : a;
    }
    ip_address bgp_next_hop() const {
        ip_address a = address(known_field::bgp_next_hop_ipv4);
        return a.empty() ? address(known_field::bgp_next_hop_ipv6) : a;
    }
    std::optional<uint64_t> source_as() const { return unsigned_value(known_field::source_as); }
    std::optional<uint64_t> destination_as() const { return unsigned_value(known_field::destination_as); }
    std::optional<uint64_t> ingress_interface() const { return unsigned_value(known_field::ingress_interface); }
    std::optional<uint64_t> egress_interface() const { return unsigned_value(known_field::egress_interface); }
    std::optional<uint64_t> octets() const { return unsigned_value(known_field::octets); }
    std::optional<uint64_t> packets() const { return unsigned_value(known_field::packets); }
};

}  // namespace ipfix::proto
