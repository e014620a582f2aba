// 802.1Q on a tagged port: classify() takes frames of our VLAN only (datagrams, ARP, ND, with
// the payload 4 bytes further on) and insert_vlan_tag() tags what the writers make; the tagged
// frames are made here independently, by inserting the tag bytes into test_frames' frames.
#include <catch2/catch.hpp>

#include "ipfix/io/eth/frame.hpp"
#include "test_frames.hpp"

using namespace ipfix::io::eth;
using ipfix::proto::ip_address;
using namespace test_frames;

namespace {

const mac_address our_mac = {2, 0, 0, 0, 0, 1};
const mac_address peer_mac = {2, 0, 0, 0, 0, 2};

ip_address ip(const char* text) { return *ip_address::parse(text); }

local_addresses us_on(uint16_t vlan) {
    local_addresses l;
    l.mac = our_mac;
    l.ipv4 = ip("10.77.0.1");
    l.ipv6 = ip("2001:db8:77::1");
    l.udp_port = 2055;
    l.vlan = vlan;
    return l;
}

// The frame with an 802.1Q tag (TPID 0x8100, priority `pcp`, VLAN `vid`) after the MACs.
std::vector<uint8_t> tagged(const std::vector<uint8_t>& f, uint16_t vid, uint8_t pcp = 0) {
    std::vector<uint8_t> t(f.begin(), f.begin() + 12);
    t.push_back(0x81);
    t.push_back(0x00);
    t.push_back(static_cast<uint8_t>(pcp << 5 | vid >> 8));
    t.push_back(static_cast<uint8_t>(vid & 0xFF));
    t.insert(t.end(), f.begin() + 12, f.end());
    return t;
}

}  // namespace

TEST_CASE("VLAN: a tagged UDP datagram of our VLAN gives its payload 4 bytes on") {
    const auto f4 = tagged(udp4_frame, 42);
    frame_info f = classify(f4, us_on(42));
    REQUIRE(f.kind == frame_kind::datagram);
    CHECK(f.source.address == ip("192.0.2.7"));
    CHECK(f.source.port == 40001);
    CHECK(f.payload_offset == 46);
    CHECK(f.payload_length == 11);
    CHECK(std::string(f4.begin() + 46, f4.end()) == "hello ipfix");

    // The priority bits are not part of the VLAN id.
    CHECK(classify(tagged(udp4_frame, 42, 5), us_on(42)).kind == frame_kind::datagram);

    f = classify(tagged(udp6_frame, 4094), us_on(4094));
    REQUIRE(f.kind == frame_kind::datagram);
    CHECK(f.source.address == ip("2001:db8:77::2"));
    CHECK(f.payload_offset == 66);
    CHECK(f.payload_length == 11);
}

TEST_CASE("VLAN: ARP and ND of our VLAN are answered; their senders learnt") {
    frame_info f = classify(tagged(arp_request_for_us, 42), us_on(42));
    REQUIRE(f.kind == frame_kind::arp_request);
    CHECK(f.sender_ip == ip("10.77.0.2"));
    CHECK(f.sender_mac == peer_mac);
    f = classify(tagged(ns_for_us, 42), us_on(42));
    REQUIRE(f.kind == frame_kind::neighbour_solicitation);
    CHECK(f.sender_ip == ip("2001:db8:77::2"));
    CHECK(f.sender_mac == peer_mac);
}

TEST_CASE("VLAN: other VLANs, untagged frames on a tagged port, tags on an untagged port") {
    CHECK(classify(tagged(udp4_frame, 43), us_on(42)).reason == drop_reason::not_for_us);
    CHECK(classify(tagged(arp_request_for_us, 43), us_on(42)).reason == drop_reason::not_for_us);
    CHECK(classify(udp4_frame, us_on(42)).reason == drop_reason::not_for_us);
    CHECK(classify(tagged(udp4_frame, 42), us_on(0)).reason == drop_reason::not_ip);
    // A tag carrying another ethertype, and a second (QinQ) tag, are not IP.
    auto other = tagged(udp4_frame, 42);
    other[16] = 0x88;
    other[17] = 0xCC;  // LLDP
    CHECK(classify(other, us_on(42)).reason == drop_reason::not_ip);
    CHECK(classify(tagged(tagged(udp4_frame, 42), 42), us_on(42)).reason == drop_reason::not_ip);
}

TEST_CASE("VLAN: every truncation of a tagged frame is a drop, never a read past its end") {
    const auto full = tagged(udp4_frame, 42);
    for (size_t n = 0; n < full.size(); ++n) {
        const std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        INFO(n);
        CHECK(classify(cut, us_on(42)).kind == frame_kind::dropped);
    }
}

TEST_CASE("VLAN: insert_vlan_tag makes the writers' frames those of the VLAN") {
    std::vector<uint8_t> arp(vlan_tag + arp_frame);
    REQUIRE(write_arp_reply(std::span<uint8_t>(arp).subspan(vlan_tag), our_mac, ip("10.77.0.1"), peer_mac,
                            ip("10.77.0.2")) == arp_frame);
    REQUIRE(insert_vlan_tag(arp, 42));
    CHECK(arp == tagged(arp_reply_expected, 42));

    std::vector<uint8_t> ns(vlan_tag + nd_frame);
    REQUIRE(write_neighbour_solicitation(std::span<uint8_t>(ns).subspan(vlan_tag), our_mac, ip("2001:db8:77::1"),
                                         ip("2001:db8:77::2")) == nd_frame);
    REQUIRE(insert_vlan_tag(ns, 4094));
    CHECK(ns == tagged(ns_expected, 4094));

    std::vector<uint8_t> short_frame(vlan_tag + ethernet_header - 1);
    CHECK_FALSE(insert_vlan_tag(short_frame, 42));
}
