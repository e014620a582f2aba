// Ethernet frames of the dpdk backend on byte spans (no DPDK): classify a received frame
// against our own addresses (a UDP datagram for us, ARP, IPv6 neighbour discovery, or a drop
// with its reason), and write the frames we send (UDP over IPv4/IPv6 with checksums, ARP
// requests and replies, neighbour solicitations and advertisements). Never reads outside the
// given span; every length field is checked against it.
//
//   frame_info f = classify(frame, local);
//   if (f.kind == frame_kind::datagram) payload = frame.subspan(f.payload_offset, f.payload_length);
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ipfix/proto/ip_address.hpp"
#include "ipfix/proto/stream_key.hpp"

namespace ipfix::io::eth {

using mac_address = std::array<uint8_t, 6>;

inline constexpr mac_address broadcast_mac = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
inline constexpr size_t ethernet_header = 14;
inline constexpr size_t vlan_tag = 4;  // an 802.1Q tag between the MACs and the ethertype
inline constexpr size_t ipv4_header = 20;
inline constexpr size_t ipv6_header = 40;
inline constexpr size_t udp_header = 8;
inline constexpr size_t arp_frame = ethernet_header + 28;
inline constexpr size_t nd_frame = ethernet_header + ipv6_header + 32;  // ICMPv6 NS/NA with one option

std::string to_string(const mac_address& m);

// The IPv6 solicited-node multicast address of `a` (ff02::1:ffXX:XXXX) and its Ethernet group.
proto::ip_address solicited_node(const proto::ip_address& a);
mac_address multicast_mac(const proto::ip_address& v6_group);

// Our side of a port: frames to other MACs or addresses are not ours.
struct local_addresses {
    mac_address mac{};
    proto::ip_address ipv4;  // family 0: no IPv4 address
    proto::ip_address ipv6;  // family 0: no IPv6 address
    uint16_t udp_port = 0;   // the listen port
    uint16_t vlan = 0;       // 802.1Q VLAN id of our frames (1..4094); 0: untagged
};

enum class frame_kind : uint8_t {
    datagram,                 // UDP to our address and port: payload_offset/length, source
    arp_request,              // for our IPv4 address: answer it (sender_ip/sender_mac)
    arp_reply,                // a neighbour's answer: learn sender_ip -> sender_mac
    neighbour_solicitation,   // for our IPv6 address: answer it (sender_ip/sender_mac)
    neighbour_advertisement,  // learn sender_ip (the target) -> sender_mac
    dropped,                  // see reason
};

enum class drop_reason : uint8_t {
    truncated,      // ends inside a header, or a length field runs past the frame
    not_for_us,     // another MAC, IP address, or an ARP/ND question about another address
    not_ip,         // another ethertype (VLAN tags on an untagged port included)
    bad_ip_header,  // version, header length, total length, hop limit of ND
    bad_checksum,   // IPv4 header, UDP or ICMPv6 checksum
    fragment,       // IPv4 fragment or IPv6 fragment header
    not_udp,        // TCP, ICMP, other ICMPv6, extension headers
    wrong_port,     // UDP to another port
    count_
};
inline constexpr size_t drop_reason_count = static_cast<size_t>(drop_reason::count_);
std::string_view to_string(drop_reason r);

struct frame_info {
    frame_kind kind = frame_kind::dropped;
    drop_reason reason = drop_reason::truncated;
    proto::exporter_endpoint source;  // datagram: the exporter
    uint16_t payload_offset = 0;      // datagram: the UDP payload within the frame
    uint16_t payload_length = 0;
    proto::ip_address sender_ip;      // ARP/ND: the neighbour
    mac_address sender_mac{};
};

// udp_checksum_verified: the NIC checked the UDP checksum (RX offload said good), so the
// payload is not summed again; the IPv4 header checksum is still checked here.
frame_info classify(std::span<const uint8_t> frame, const local_addresses& local, bool udp_checksum_verified = false);

// Tags a frame for `vlan` (priority 0): `frame` is vlan_tag spare bytes followed by the untagged
// frame (as the writers below make it); the MACs move to the front and the tag follows them.
// False (nothing written) when the span is shorter than an Ethernet header plus the tag.
bool insert_vlan_tag(std::span<uint8_t> frame, uint16_t vlan);

// The headers of one UDP datagram we send; source and destination of one family.
struct udp_route {
    mac_address source_mac{};
    mac_address destination_mac{};
    proto::ip_address source;
    uint16_t source_port = 0;
    proto::ip_address destination;
    uint16_t destination_port = 0;
};

// Bytes of Ethernet + IP + UDP headers for a family (4 or 6).
inline size_t udp_headers_length(uint8_t family) {
    return ethernet_header + (family == 6 ? ipv6_header : ipv4_header) + udp_header;
}

// Writes the headers into `headers` (exactly udp_headers_length bytes, directly before the
// payload in the frame) with the IPv4 header checksum and the UDP checksum over `payload`.
// False when the sizes do not fit (headers span, payload over 65507 / 65527 bytes).
bool write_udp_headers(std::span<uint8_t> headers, const udp_route& r, std::span<const uint8_t> payload,
                       uint16_t ip_id = 0);

// ARP request (broadcast) or reply; `out` needs arp_frame bytes. Returns the frame's length.
size_t write_arp_request(std::span<uint8_t> out, const mac_address& our_mac, const proto::ip_address& our_ip,
                         const proto::ip_address& target);
size_t write_arp_reply(std::span<uint8_t> out, const mac_address& our_mac, const proto::ip_address& our_ip,
                       const mac_address& to_mac, const proto::ip_address& to_ip);

// Neighbour solicitation (to the target's solicited-node group) or advertisement (solicited,
// override) with our link-layer address; `out` needs nd_frame bytes. Returns the length.
size_t write_neighbour_solicitation(std::span<uint8_t> out, const mac_address& our_mac,
                                    const proto::ip_address& our_ip, const proto::ip_address& target);
size_t write_neighbour_advertisement(std::span<uint8_t> out, const mac_address& our_mac,
                                     const proto::ip_address& our_ip, const mac_address& to_mac,
                                     const proto::ip_address& to_ip);

}  // namespace ipfix::io::eth
