#include "ipfix/io/eth/frame.hpp"

#include <cstring>

#include "ipfix/io/udp_checksum.hpp"

namespace ipfix::io::eth {
namespace {

constexpr uint16_t ethertype_ipv4 = 0x0800;
constexpr uint16_t ethertype_arp = 0x0806;
constexpr uint16_t ethertype_ipv6 = 0x86DD;
constexpr uint16_t ethertype_vlan = 0x8100;
constexpr uint8_t proto_udp = 17;
constexpr uint8_t proto_icmpv6 = 58;
constexpr uint8_t proto_ipv6_fragment = 44;
constexpr uint8_t icmpv6_ns = 135;
constexpr uint8_t icmpv6_na = 136;

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

frame_info drop(drop_reason r) {
    frame_info f;
    f.reason = r;
    return f;
}

bool same_mac(const uint8_t* p, const mac_address& m) { return std::memcmp(p, m.data(), 6) == 0; }

bool is_ours(const uint8_t* p, const proto::ip_address& ours) {
    return !ours.empty() && std::memcmp(p, ours.bytes.data(), ours.size()) == 0;
}

// The sum over an IPv6 pseudo-header (RFC 8200 §8.1) and the upper-layer packet.
uint16_t v6_upper_sum(const uint8_t* ip, uint8_t next, std::span<const uint8_t> upper) {
    uint8_t pseudo[40] = {};
    std::memcpy(pseudo, ip + 8, 32);
    const auto len = static_cast<uint32_t>(upper.size());
    pseudo[34] = static_cast<uint8_t>(len >> 8);
    pseudo[35] = static_cast<uint8_t>(len);
    pseudo[39] = next;
    return ones_complement_sum(upper, ones_complement_sum({pseudo, sizeof pseudo}));
}

void write_ethernet(uint8_t* p, const mac_address& to, const mac_address& from, uint16_t type) {
    std::memcpy(p, to.data(), 6);
    std::memcpy(p + 6, from.data(), 6);
    put16(p + 12, type);
}

frame_info classify_arp(std::span<const uint8_t> frame, const local_addresses& local) {
    if (frame.size() < arp_frame) return drop(drop_reason::truncated);
    const uint8_t* a = frame.data() + ethernet_header;
    // Ethernet hardware, IPv4 protocol addresses, 6- and 4-byte lengths: nothing else is ours.
    if (get16(a) != 1 || get16(a + 2) != ethertype_ipv4 || a[4] != 6 || a[5] != 4) return drop(drop_reason::not_ip);
    const uint16_t op = get16(a + 6);
    if (!is_ours(a + 24, local.ipv4)) return drop(drop_reason::not_for_us);
    frame_info f;
    f.sender_ip = proto::ip_address::v4(a + 14);
    std::memcpy(f.sender_mac.data(), a + 8, 6);
    if (op == 1) f.kind = frame_kind::arp_request;
    else if (op == 2) f.kind = frame_kind::arp_reply;
    else return drop(drop_reason::not_for_us);
    return f;
}

frame_info classify_udp(const uint8_t* udp, size_t available, const local_addresses& local, frame_info f) {
    if (available < udp_header) return drop(drop_reason::truncated);
    const uint16_t length = get16(udp + 4);
    if (length < udp_header || length > available) return drop(drop_reason::truncated);
    if (get16(udp + 2) != local.udp_port) return drop(drop_reason::wrong_port);
    f.source.port = get16(udp);
    f.payload_length = static_cast<uint16_t>(length - udp_header);
    f.kind = frame_kind::datagram;
    return f;
}

frame_info classify_ipv4(std::span<const uint8_t> frame, const local_addresses& local, bool udp_verified) {
    if (frame.size() < ethernet_header + ipv4_header) return drop(drop_reason::truncated);
    const uint8_t* ip = frame.data() + ethernet_header;
    const size_t available = frame.size() - ethernet_header;  // Ethernet pads short frames
    const size_t header = (ip[0] & 0x0Fu) * 4u;
    if ((ip[0] >> 4) != 4 || header < ipv4_header) return drop(drop_reason::bad_ip_header);
    if (header > available) return drop(drop_reason::truncated);
    const uint16_t total = get16(ip + 2);
    if (total < header) return drop(drop_reason::bad_ip_header);
    if (total > available) return drop(drop_reason::truncated);
    if (!is_ours(ip + 16, local.ipv4)) return drop(drop_reason::not_for_us);
    if (ones_complement_sum({ip, header}) != 0xFFFF) return drop(drop_reason::bad_checksum);
    if ((get16(ip + 6) & 0x3FFF) != 0) return drop(drop_reason::fragment);  // MF or an offset
    if (ip[9] != proto_udp) return drop(drop_reason::not_udp);
    const uint8_t* udp = ip + header;
    frame_info f;
    f.source.address = proto::ip_address::v4(ip + 12);
    f = classify_udp(udp, total - header, local, f);
    if (f.kind != frame_kind::datagram) return f;
    const uint16_t sum = get16(udp + 6);
    // 0: the sender computed none (allowed over IPv4); a computed 0 is sent as 0xFFFF, as ours is.
    if (sum != 0 && !udp_verified) {
        const uint16_t length = get16(udp + 4);
        const std::span<const uint8_t> payload{udp + udp_header, static_cast<size_t>(length - udp_header)};
        if (udp_checksum(f.source.address, f.source.port, proto::ip_address::v4(ip + 16), local.udp_port, payload) != sum)
            return drop(drop_reason::bad_checksum);
    }
    f.payload_offset = static_cast<uint16_t>(ethernet_header + header + udp_header);
    return f;
}

frame_info classify_nd(const uint8_t* ip, std::span<const uint8_t> icmp, const local_addresses& local) {
    // RFC 4861 §7.1: hop limit 255 (from on-link only), code 0, 24 bytes before the options.
    if (icmp.size() < 24) return drop(drop_reason::truncated);
    const uint8_t type = icmp[0];
    if (type != icmpv6_ns && type != icmpv6_na) return drop(drop_reason::not_udp);
    if (ip[7] != 255 || icmp[1] != 0) return drop(drop_reason::bad_ip_header);
    if (v6_upper_sum(ip, proto_icmpv6, icmp) != 0xFFFF) return drop(drop_reason::bad_checksum);
    const uint8_t* target = icmp.data() + 8;
    frame_info f;
    // The link-layer address option: source (1) in a solicitation, target (2) in an advertisement.
    const uint8_t wanted = type == icmpv6_ns ? 1 : 2;
    bool have_mac = false;
    for (size_t at = 24; at + 2 <= icmp.size();) {
        const size_t len = icmp[at + 1] * 8u;
        if (len == 0 || at + len > icmp.size()) return drop(drop_reason::truncated);
        if (icmp[at] == wanted && len >= 8) {
            std::memcpy(f.sender_mac.data(), icmp.data() + at + 2, 6);
            have_mac = true;
        }
        at += len;
    }
    if (type == icmpv6_ns) {
        if (!is_ours(target, local.ipv6)) return drop(drop_reason::not_for_us);
        // An unspecified source is duplicate address detection: not a neighbour to answer.
        static constexpr uint8_t unspecified[16] = {};
        if (!have_mac || std::memcmp(ip + 8, unspecified, 16) == 0) return drop(drop_reason::not_for_us);
        f.kind = frame_kind::neighbour_solicitation;
        f.sender_ip = proto::ip_address::v6(ip + 8);
        return f;
    }
    if (!have_mac) return drop(drop_reason::not_for_us);
    f.kind = frame_kind::neighbour_advertisement;
    f.sender_ip = proto::ip_address::v6(target);
    return f;
}

frame_info classify_ipv6(std::span<const uint8_t> frame, const local_addresses& local, bool udp_verified) {
    if (frame.size() < ethernet_header + ipv6_header) return drop(drop_reason::truncated);
    const uint8_t* ip = frame.data() + ethernet_header;
    if ((ip[0] >> 4) != 6) return drop(drop_reason::bad_ip_header);
    const size_t payload = get16(ip + 4);
    if (payload > frame.size() - ethernet_header - ipv6_header) return drop(drop_reason::truncated);
    if (local.ipv6.empty()) return drop(drop_reason::not_for_us);
    const bool to_us = is_ours(ip + 24, local.ipv6);
    const proto::ip_address group = solicited_node(local.ipv6);
    const bool to_group = std::memcmp(ip + 24, group.bytes.data(), 16) == 0;
    if (!to_us && !to_group) return drop(drop_reason::not_for_us);
    const std::span<const uint8_t> upper{ip + ipv6_header, payload};
    if (ip[6] == proto_icmpv6) return classify_nd(ip, upper, local);
    if (ip[6] == proto_ipv6_fragment) return drop(drop_reason::fragment);
    if (ip[6] != proto_udp) return drop(drop_reason::not_udp);
    if (!to_us) return drop(drop_reason::not_for_us);
    frame_info f;
    f.source.address = proto::ip_address::v6(ip + 8);
    f = classify_udp(upper.data(), upper.size(), local, f);
    if (f.kind != frame_kind::datagram) return f;
    // The UDP checksum is mandatory over IPv6; only the datagram's own length counts.
    const uint16_t length = get16(upper.data() + 4);
    if (get16(upper.data() + 6) == 0 || (!udp_verified && v6_upper_sum(ip, proto_udp, upper.first(length)) != 0xFFFF))
        return drop(drop_reason::bad_checksum);
    f.payload_offset = static_cast<uint16_t>(ethernet_header + ipv6_header + udp_header);
    return f;
}

}  // namespace

std::string to_string(const mac_address& m) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < 6; ++i) {
        if (i) s += ':';
        s += hex[m[i] >> 4];
        s += hex[m[i] & 0xF];
    }
    return s;
}

proto::ip_address solicited_node(const proto::ip_address& a) {
    proto::ip_address g;
    g.family = 6;
    g.bytes = {0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xFF, a.bytes[13], a.bytes[14], a.bytes[15]};
    return g;
}

mac_address multicast_mac(const proto::ip_address& g) {
    return {0x33, 0x33, g.bytes[12], g.bytes[13], g.bytes[14], g.bytes[15]};
}

std::string_view to_string(drop_reason r) {
    switch (r) {
        case drop_reason::truncated: return "truncated";
        case drop_reason::not_for_us: return "not_for_us";
        case drop_reason::not_ip: return "not_ip";
        case drop_reason::bad_ip_header: return "bad_ip_header";
        case drop_reason::bad_checksum: return "bad_checksum";
        case drop_reason::fragment: return "fragment";
        case drop_reason::not_udp: return "not_udp";
        case drop_reason::wrong_port: return "wrong_port";
        case drop_reason::count_: break;
    }
    return "?";
}

frame_info classify(std::span<const uint8_t> frame, const local_addresses& local, bool udp_checksum_verified) {
    if (frame.size() < ethernet_header) return drop(drop_reason::truncated);
    const uint8_t* d = frame.data();
    // Ours, broadcast (ARP) or an IPv6 multicast group (ND goes to the solicited-node group).
    const bool for_us = same_mac(d, local.mac) || same_mac(d, broadcast_mac) || (d[0] == 0x33 && d[1] == 0x33);
    if (!for_us) return drop(drop_reason::not_for_us);
    uint16_t ethertype = get16(d + 12);
    if (local.vlan != 0) {
        // A tagged port: only frames of our VLAN are ours. The headers after the tag are read as
        // those of an untagged frame 4 bytes on (the classifiers below look only past the MACs).
        if (ethertype != ethertype_vlan) return drop(drop_reason::not_for_us);
        if (frame.size() < ethernet_header + vlan_tag) return drop(drop_reason::truncated);
        if ((get16(d + 14) & 0x0FFF) != local.vlan) return drop(drop_reason::not_for_us);
        ethertype = get16(d + 16);
        if (ethertype != ethertype_ipv4 && ethertype != ethertype_arp && ethertype != ethertype_ipv6)
            return drop(drop_reason::not_ip);
        if (ethertype == ethertype_ipv4 && !same_mac(d, local.mac)) return drop(drop_reason::not_for_us);
        const std::span<const uint8_t> inner = frame.subspan(vlan_tag);
        frame_info f = ethertype == ethertype_ipv4 ? classify_ipv4(inner, local, udp_checksum_verified)
                     : ethertype == ethertype_arp  ? classify_arp(inner, local)
                                                   : classify_ipv6(inner, local, udp_checksum_verified);
        if (f.kind == frame_kind::datagram) f.payload_offset = static_cast<uint16_t>(f.payload_offset + vlan_tag);
        return f;
    }
    switch (ethertype) {
        case ethertype_ipv4:
            return same_mac(d, local.mac) ? classify_ipv4(frame, local, udp_checksum_verified)
                                          : drop(drop_reason::not_for_us);
        case ethertype_arp: return classify_arp(frame, local);
        case ethertype_ipv6: return classify_ipv6(frame, local, udp_checksum_verified);
        default: return drop(drop_reason::not_ip);
    }
}

bool insert_vlan_tag(std::span<uint8_t> frame, uint16_t vlan) {
    if (frame.size() < vlan_tag + ethernet_header) return false;
    uint8_t* p = frame.data();
    std::memmove(p, p + vlan_tag, 12);
    put16(p + 12, ethertype_vlan);
    put16(p + 14, static_cast<uint16_t>(vlan & 0x0FFF));
    return true;
}

bool write_udp_headers(std::span<uint8_t> headers, const udp_route& r, std::span<const uint8_t> payload,
                       uint16_t ip_id) {
    const uint8_t family = r.source.family;
    if (family != r.destination.family || (family != 4 && family != 6)) return false;
    if (headers.size() != udp_headers_length(family)) return false;
    const size_t udp_length = udp_header + payload.size();
    if (udp_length + (family == 4 ? ipv4_header : 0) > 0xFFFF) return false;
    uint8_t* p = headers.data();
    write_ethernet(p, r.destination_mac, r.source_mac, family == 4 ? ethertype_ipv4 : ethertype_ipv6);
    uint8_t* ip = p + ethernet_header;
    uint8_t* udp;
    if (family == 4) {
        ip[0] = 0x45;
        ip[1] = 0;
        put16(ip + 2, static_cast<uint16_t>(ipv4_header + udp_length));
        put16(ip + 4, ip_id);
        put16(ip + 6, 0x4000);  // don't fragment: we split at the collector's MTU ourselves
        ip[8] = 64;
        ip[9] = proto_udp;
        put16(ip + 10, 0);
        std::memcpy(ip + 12, r.source.bytes.data(), 4);
        std::memcpy(ip + 16, r.destination.bytes.data(), 4);
        put16(ip + 10, internet_checksum({ip, ipv4_header}));
        udp = ip + ipv4_header;
    } else {
        put16(ip, 0x6000);
        put16(ip + 2, 0);
        put16(ip + 4, static_cast<uint16_t>(udp_length));
        ip[6] = proto_udp;
        ip[7] = 64;
        std::memcpy(ip + 8, r.source.bytes.data(), 16);
        std::memcpy(ip + 24, r.destination.bytes.data(), 16);
        udp = ip + ipv6_header;
    }
    put16(udp, r.source_port);
    put16(udp + 2, r.destination_port);
    put16(udp + 4, static_cast<uint16_t>(udp_length));
    put16(udp + 6, udp_checksum(r.source, r.source_port, r.destination, r.destination_port, payload));
    return true;
}

namespace {

size_t write_arp(std::span<uint8_t> out, uint16_t op, const mac_address& eth_to, const mac_address& our_mac,
                 const proto::ip_address& our_ip, const mac_address& target_mac, const proto::ip_address& target_ip) {
    if (out.size() < arp_frame || our_ip.family != 4 || target_ip.family != 4) return 0;
    uint8_t* p = out.data();
    write_ethernet(p, eth_to, our_mac, ethertype_arp);
    uint8_t* a = p + ethernet_header;
    put16(a, 1);
    put16(a + 2, ethertype_ipv4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    std::memcpy(a + 8, our_mac.data(), 6);
    std::memcpy(a + 14, our_ip.bytes.data(), 4);
    std::memcpy(a + 18, target_mac.data(), 6);
    std::memcpy(a + 24, target_ip.bytes.data(), 4);
    return arp_frame;
}

size_t write_nd(std::span<uint8_t> out, uint8_t type, const mac_address& eth_to, const mac_address& our_mac,
                const proto::ip_address& our_ip, const proto::ip_address& ip_to, const proto::ip_address& target) {
    if (out.size() < nd_frame || our_ip.family != 6 || ip_to.family != 6 || target.family != 6) return 0;
    uint8_t* p = out.data();
    std::memset(p, 0, nd_frame);
    write_ethernet(p, eth_to, our_mac, ethertype_ipv6);
    uint8_t* ip = p + ethernet_header;
    put16(ip, 0x6000);
    put16(ip + 4, 32);
    ip[6] = proto_icmpv6;
    ip[7] = 255;
    std::memcpy(ip + 8, our_ip.bytes.data(), 16);
    std::memcpy(ip + 24, ip_to.bytes.data(), 16);
    uint8_t* icmp = ip + ipv6_header;
    icmp[0] = type;
    if (type == icmpv6_na) icmp[4] = 0x60;  // solicited, override
    std::memcpy(icmp + 8, target.bytes.data(), 16);
    icmp[24] = type == icmpv6_ns ? 1 : 2;  // source / target link-layer address option
    icmp[25] = 1;
    std::memcpy(icmp + 26, our_mac.data(), 6);
    put16(icmp + 2, static_cast<uint16_t>(~v6_upper_sum(ip, proto_icmpv6, {icmp, 32})));
    return nd_frame;
}

}  // namespace

size_t write_arp_request(std::span<uint8_t> out, const mac_address& our_mac, const proto::ip_address& our_ip,
                         const proto::ip_address& target) {
    return write_arp(out, 1, broadcast_mac, our_mac, our_ip, mac_address{}, target);
}

size_t write_arp_reply(std::span<uint8_t> out, const mac_address& our_mac, const proto::ip_address& our_ip,
                       const mac_address& to_mac, const proto::ip_address& to_ip) {
    return write_arp(out, 2, to_mac, our_mac, our_ip, to_mac, to_ip);
}

size_t write_neighbour_solicitation(std::span<uint8_t> out, const mac_address& our_mac,
                                    const proto::ip_address& our_ip, const proto::ip_address& target) {
    const proto::ip_address group = solicited_node(target);
    return write_nd(out, icmpv6_ns, multicast_mac(group), our_mac, our_ip, group, target);
}

size_t write_neighbour_advertisement(std::span<uint8_t> out, const mac_address& our_mac,
                                     const proto::ip_address& our_ip, const mac_address& to_mac,
                                     const proto::ip_address& to_ip) {
    return write_nd(out, icmpv6_na, to_mac, our_mac, our_ip, to_ip, our_ip);
}

}  // namespace ipfix::io::eth
