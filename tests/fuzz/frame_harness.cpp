#include "frame_harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ipfix/io/eth/frame.hpp"

namespace ipfix::fuzz {
namespace {

using namespace io::eth;

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "frame harness: broken invariant: %s\n", what);
        std::abort();
    }
}

local_addresses us(uint16_t vlan) {
    local_addresses l;
    l.vlan = vlan;
    l.mac = {2, 0, 0, 0, 0, 1};
    l.ipv4 = *proto::ip_address::parse("10.77.0.1");
    l.ipv6 = *proto::ip_address::parse("2001:db8:77::1");
    l.udp_port = 2055;
    return l;
}

void check(const std::vector<uint8_t>& frame, const local_addresses& l) {
    const frame_info f = classify(frame, l);
    switch (f.kind) {
        case frame_kind::datagram: {
            require(size_t{f.payload_offset} + f.payload_length <= frame.size(), "payload inside the frame");
            require(f.payload_offset >= udp_header, "payload after a UDP header");
            const uint8_t* udp = frame.data() + f.payload_offset - udp_header;
            require(static_cast<size_t>(udp[4] << 8 | udp[5]) == f.payload_length + udp_header, "UDP length is the payload's");
            require((udp[2] << 8 | udp[3]) == l.udp_port, "to our port");
            require(f.source.address.family == 4 || f.source.address.family == 6, "an exporter address");
            break;
        }
        case frame_kind::arp_request:
        case frame_kind::neighbour_solicitation: {
            const bool v4 = f.kind == frame_kind::arp_request;
            require(f.sender_ip.family == (v4 ? 4 : 6), "the asker's address family");
            std::vector<uint8_t> reply(v4 ? arp_frame : nd_frame);
            const size_t n = v4 ? write_arp_reply(reply, l.mac, l.ipv4, f.sender_mac, f.sender_ip)
                                : write_neighbour_advertisement(reply, l.mac, l.ipv6, f.sender_mac, f.sender_ip);
            require(n == reply.size(), "a reply is written");
            local_addresses asker;
            asker.mac = f.sender_mac;
            if (v4) asker.ipv4 = f.sender_ip;
            else asker.ipv6 = f.sender_ip;
            const frame_info back = classify(reply, asker);
            // A multicast asker's MAC, or one whose solicited-node group is not ours, can make
            // the reply not for it; when it is for it, it must be our answer.
            if (back.kind != frame_kind::dropped) {
                require(back.kind == (v4 ? frame_kind::arp_reply : frame_kind::neighbour_advertisement),
                        "the asker takes the reply as an answer");
                require(back.sender_ip == (v4 ? l.ipv4 : l.ipv6), "answer for our address");
                require(back.sender_mac == l.mac, "answer with our MAC");
            }
            break;
        }
        case frame_kind::arp_reply:
        case frame_kind::neighbour_advertisement:
            require(!f.sender_ip.empty(), "a learnt address");
            break;
        case frame_kind::dropped:
            require(f.reason < drop_reason::count_, "a known drop reason");
            break;
    }
}

}  // namespace

void run_frame_harness(std::span<const uint8_t> input) {
    // A copy of exactly the input's size, so a sanitizer sees any read past the frame.
    const std::vector<uint8_t> frame(input.begin(), input.end());
    check(frame, us(0));
    check(frame, us(42));  // a tagged port (802.1Q, VLAN 42)
}

}  // namespace ipfix::fuzz
