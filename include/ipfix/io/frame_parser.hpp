// Finds the UDP datagram in one captured link-layer frame: Ethernet (with any number of 802.1Q /
// 802.1ad tags, bounded), Linux cooked (SLL, SLL2), raw IP, BSD loopback; IPv4 and IPv6 (with
// extension headers). No reassembly: a non-first fragment is reported as skipped.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "ipfix/proto/stream_key.hpp"

namespace ipfix::io {

enum class skip_reason : uint8_t {
    unsupported_link,  // a link type we do not parse
    truncated,         // the frame ends inside a header
    snaplen,           // the capture kept less of the frame than was sent
    not_ip,            // another network protocol (ARP, LLDP, ...)
    bad_ip_header,     // wrong version nibble, header length or total length
    not_udp,           // TCP, ICMP, ...
    ip_fragment,       // a non-first fragment: its bytes cannot be decoded on their own
    other_port,        // UDP to a port we do not listen on
    count_
};
inline constexpr size_t skip_reason_count = static_cast<size_t>(skip_reason::count_);

std::string_view to_string(skip_reason r);

struct udp_datagram {
    proto::exporter_endpoint source;
    proto::ip_address destination;
    uint16_t destination_port = 0;
    std::span<const uint8_t> payload;
    bool first_fragment = false;  // more fragments follow: the payload is incomplete
};

struct parse_result {
    bool ok = false;
    skip_reason reason = skip_reason::truncated;
    udp_datagram datagram;
};

// `wire_length` is the frame's length on the wire (pcap len); `frame` the captured bytes.
parse_result parse_frame(int link_type, std::span<const uint8_t> frame, size_t wire_length);

}  // namespace ipfix::io
