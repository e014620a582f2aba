#include "ipfix/io/frame_parser.hpp"

#include <pcap/dlt.h>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::io {
namespace {

using proto::load_be16;

constexpr uint16_t ethertype_ipv4 = 0x0800;
constexpr uint16_t ethertype_ipv6 = 0x86DD;
constexpr uint16_t ethertype_vlan = 0x8100;
constexpr uint16_t ethertype_qinq = 0x88A8;
constexpr uint16_t ethertype_qinq_old = 0x9100;
constexpr size_t max_vlan_tags = 8;
constexpr size_t max_ipv6_extension_headers = 8;
constexpr uint8_t ip_proto_udp = 17;
constexpr uint8_t ip6_hop_by_hop = 0;
constexpr uint8_t ip6_routing = 43;
constexpr uint8_t ip6_fragment = 44;
constexpr uint8_t ip6_destination_options = 60;
constexpr size_t udp_header_size = 8;
// LINKTYPE_LINUX_SLL2 is not in older headers' DLT list.
constexpr int link_linux_sll2 = 276;

parse_result skip(skip_reason r) {
    parse_result p;
    p.reason = r;
    return p;
}

// The frame holds `captured` bytes of a frame that was `wire` bytes long: a short capture is
// reported as such, not as a broken packet.
skip_reason short_frame(size_t captured, size_t wire) {
    return captured < wire ? skip_reason::snaplen : skip_reason::truncated;
}

struct context {
    std::span<const uint8_t> frame;
    size_t wire_length;
};

parse_result parse_udp(const context& c, std::span<const uint8_t> l4, const proto::ip_address& source,
                       const proto::ip_address& destination, bool first_fragment) {
    if (l4.size() < udp_header_size) return skip(short_frame(c.frame.size(), c.wire_length));
    const uint16_t udp_length = load_be16(l4.data() + 4);
    if (udp_length < udp_header_size) return skip(skip_reason::bad_ip_header);
    size_t payload_length = udp_length - udp_header_size;
    const size_t present = l4.size() - udp_header_size;
    if (payload_length > present) {
        // A first fragment carries only the start of the datagram; anything else is cut short.
        if (!first_fragment) return skip(short_frame(c.frame.size(), c.wire_length));
        payload_length = present;
    }
    parse_result r;
    r.ok = true;
    r.datagram.source = {source, load_be16(l4.data())};
    r.datagram.destination = destination;
    r.datagram.destination_port = load_be16(l4.data() + 2);
    r.datagram.payload = l4.subspan(udp_header_size, payload_length);
    r.datagram.first_fragment = first_fragment;
    return r;
}

parse_result parse_ipv4(const context& c, std::span<const uint8_t> p) {
    if (p.size() < 20) return skip(short_frame(c.frame.size(), c.wire_length));
    const size_t header_length = size_t{p[0] & 0x0Fu} * 4;
    const size_t total_length = load_be16(p.data() + 2);
    if ((p[0] >> 4) != 4 || header_length < 20 || total_length < header_length) return skip(skip_reason::bad_ip_header);
    if (total_length > p.size()) return skip(short_frame(c.frame.size(), c.wire_length));
    const uint16_t fragment = load_be16(p.data() + 6);
    const bool more_fragments = (fragment & 0x2000) != 0;
    if ((fragment & 0x1FFF) != 0) return skip(skip_reason::ip_fragment);
    if (p[9] != ip_proto_udp) return skip(skip_reason::not_udp);
    // Total length, not the frame, bounds the packet: Ethernet pads short frames.
    return parse_udp(c, p.subspan(header_length, total_length - header_length), proto::ip_address::v4(p.data() + 12),
                     proto::ip_address::v4(p.data() + 16), more_fragments);
}

parse_result parse_ipv6(const context& c, std::span<const uint8_t> p) {
    if (p.size() < 40) return skip(short_frame(c.frame.size(), c.wire_length));
    if ((p[0] >> 4) != 6) return skip(skip_reason::bad_ip_header);
    const size_t payload_length = load_be16(p.data() + 4);
    if (40 + payload_length > p.size()) return skip(short_frame(c.frame.size(), c.wire_length));
    const proto::ip_address source = proto::ip_address::v6(p.data() + 8);
    const proto::ip_address destination = proto::ip_address::v6(p.data() + 24);
    std::span<const uint8_t> rest = p.subspan(40, payload_length);
    uint8_t next = p[6];
    bool first_fragment = false;
    for (size_t i = 0; i < max_ipv6_extension_headers; ++i) {
        if (next == ip_proto_udp) return parse_udp(c, rest, source, destination, first_fragment);
        size_t length = 0;
        if (next == ip6_fragment) {
            if (rest.size() < 8) return skip(skip_reason::truncated);
            const uint16_t offset_flags = load_be16(rest.data() + 2);
            if ((offset_flags & 0xFFF8) != 0) return skip(skip_reason::ip_fragment);
            first_fragment = (offset_flags & 1) != 0;
            length = 8;
        } else if (next == ip6_hop_by_hop || next == ip6_routing || next == ip6_destination_options) {
            if (rest.size() < 8) return skip(skip_reason::truncated);
            length = (size_t{rest[1]} + 1) * 8;
        } else {
            return skip(skip_reason::not_udp);
        }
        if (rest.size() < length) return skip(skip_reason::truncated);
        next = rest[0];
        rest = rest.subspan(length);
    }
    return skip(skip_reason::not_udp);
}

parse_result parse_ip(const context& c, std::span<const uint8_t> p) {
    if (p.empty()) return skip(short_frame(c.frame.size(), c.wire_length));
    switch (p[0] >> 4) {
        case 4: return parse_ipv4(c, p);
        case 6: return parse_ipv6(c, p);
        default: return skip(skip_reason::not_ip);
    }
}

parse_result parse_ethertype(const context& c, uint16_t type, std::span<const uint8_t> p) {
    switch (type) {
        case ethertype_ipv4: return parse_ipv4(c, p);
        case ethertype_ipv6: return parse_ipv6(c, p);
        default: return skip(skip_reason::not_ip);
    }
}

parse_result parse_ethernet(const context& c) {
    std::span<const uint8_t> p = c.frame;
    if (p.size() < 14) return skip(short_frame(c.frame.size(), c.wire_length));
    uint16_t type = load_be16(p.data() + 12);
    p = p.subspan(14);
    for (size_t i = 0; i < max_vlan_tags; ++i) {
        if (type != ethertype_vlan && type != ethertype_qinq && type != ethertype_qinq_old) break;
        if (p.size() < 4) return skip(short_frame(c.frame.size(), c.wire_length));
        type = load_be16(p.data() + 2);
        p = p.subspan(4);
    }
    return parse_ethertype(c, type, p);
}

parse_result parse_null(const context& c) {
    // The address family is in the capturing host's byte order (DLT_NULL) or network order
    // (DLT_LOOP); the IP version nibble that follows says the same thing in every order.
    if (c.frame.size() < 4) return skip(short_frame(c.frame.size(), c.wire_length));
    return parse_ip(c, c.frame.subspan(4));
}

}  // namespace

std::string_view to_string(skip_reason r) {
    switch (r) {
        case skip_reason::unsupported_link: return "unsupported_link";
        case skip_reason::truncated: return "truncated";
        case skip_reason::snaplen: return "snaplen";
        case skip_reason::not_ip: return "not_ip";
        case skip_reason::bad_ip_header: return "bad_ip_header";
        case skip_reason::not_udp: return "not_udp";
        case skip_reason::ip_fragment: return "ip_fragment";
        case skip_reason::other_port: return "other_port";
        case skip_reason::count_: break;
    }
    return "unknown";
}

parse_result parse_frame(int link_type, std::span<const uint8_t> frame, size_t wire_length) {
    const context c{frame, wire_length};
    switch (link_type) {
        case DLT_EN10MB: return parse_ethernet(c);
        case DLT_LINUX_SLL:
            if (frame.size() < 16) return skip(short_frame(frame.size(), wire_length));
            return parse_ethertype(c, load_be16(frame.data() + 14), frame.subspan(16));
        case link_linux_sll2:
            if (frame.size() < 20) return skip(short_frame(frame.size(), wire_length));
            return parse_ethertype(c, load_be16(frame.data()), frame.subspan(20));
        case DLT_RAW:
        case DLT_IPV4:
        case DLT_IPV6: return parse_ip(c, frame);
        case DLT_NULL:
        case DLT_LOOP: return parse_null(c);
        default: return skip(skip_reason::unsupported_link);
    }
}

}  // namespace ipfix::io
