// The dpdk backend's frames on byte buffers: what classify() makes of every kind of frame a
// port sees (and of every truncation of them), and the bytes the writers produce, against
// frames built by an independent writer (test_frames.hpp).
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

local_addresses us() {
    local_addresses l;
    l.mac = our_mac;
    l.ipv4 = ip("10.77.0.1");
    l.ipv6 = ip("2001:db8:77::1");
    l.udp_port = 2055;
    return l;
}

frame_info run(const std::vector<uint8_t>& f, const local_addresses& l = us()) { return classify(f, l); }

// Recomputes the IPv4 header checksum after a test changed the header.
void fix_ipv4_checksum(std::vector<uint8_t>& f) {
    f[24] = f[25] = 0;
    uint32_t s = 0;
    for (size_t i = 14; i < 34; i += 2) s += static_cast<uint32_t>(f[i] << 8 | f[i + 1]);
    while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
    f[24] = static_cast<uint8_t>(~s >> 8);
    f[25] = static_cast<uint8_t>(~s);
}

}  // namespace

TEST_CASE("a UDP datagram to our IPv4 address and port gives its payload and exporter") {
    const frame_info f = run(udp4_frame);
    REQUIRE(f.kind == frame_kind::datagram);
    CHECK(f.source.address == ip("192.0.2.7"));
    CHECK(f.source.port == 40001);
    CHECK(f.payload_offset == 42);
    CHECK(f.payload_length == 11);
    CHECK(std::string(udp4_frame.begin() + 42, udp4_frame.end()) == "hello ipfix");
}

TEST_CASE("Ethernet padding after a short IPv4 datagram is not payload") {
    auto padded = udp4_frame;
    padded.resize(80, 0);
    const frame_info f = run(padded);
    REQUIRE(f.kind == frame_kind::datagram);
    CHECK(f.payload_length == 11);
}

TEST_CASE("a UDP datagram over IPv6 to our address gives its payload and exporter") {
    const frame_info f = run(udp6_frame);
    REQUIRE(f.kind == frame_kind::datagram);
    CHECK(f.source.address == ip("2001:db8:77::2"));
    CHECK(f.source.port == 40001);
    CHECK(f.payload_offset == 62);
    CHECK(f.payload_length == 11);
}

TEST_CASE("frames that are not for us are dropped with their reason") {
    SECTION("another destination MAC") {
        auto f = udp4_frame;
        f[5] = 9;
        CHECK(run(f).reason == drop_reason::not_for_us);
    }
    SECTION("another IPv4 address") {
        auto f = udp4_frame;
        f[33] = 9;
        fix_ipv4_checksum(f);
        CHECK(run(f).reason == drop_reason::not_for_us);
    }
    SECTION("no IPv4 address configured") {
        auto l = us();
        l.ipv4 = {};
        CHECK(run(udp4_frame, l).reason == drop_reason::not_for_us);
    }
    SECTION("another UDP port") {
        auto l = us();
        l.udp_port = 2056;
        const frame_info f = run(udp4_frame, l);
        CHECK(f.kind == frame_kind::dropped);
        CHECK(f.reason == drop_reason::wrong_port);
    }
    SECTION("TCP") {
        auto f = udp4_frame;
        f[23] = 6;
        fix_ipv4_checksum(f);
        CHECK(run(f).reason == drop_reason::not_udp);
    }
    SECTION("a VLAN tag or another ethertype") {
        auto f = udp4_frame;
        f[12] = 0x81;
        f[13] = 0x00;
        CHECK(run(f).reason == drop_reason::not_ip);
    }
    SECTION("an IPv4 fragment: more fragments, or an offset") {
        auto f = udp4_frame;
        f[20] = 0x20;  // MF
        fix_ipv4_checksum(f);
        CHECK(run(f).reason == drop_reason::fragment);
        f[20] = 0x00;
        f[21] = 0x10;  // offset 128
        fix_ipv4_checksum(f);
        CHECK(run(f).reason == drop_reason::fragment);
    }
    SECTION("an IPv6 fragment header") {
        auto f = udp6_frame;
        f[20] = 44;
        CHECK(run(f).reason == drop_reason::fragment);
    }
}

TEST_CASE("bad checksums and lengths are dropped, never read past") {
    SECTION("IPv4 header checksum") {
        auto f = udp4_frame;
        f[25] ^= 1;
        CHECK(run(f).reason == drop_reason::bad_checksum);
    }
    SECTION("UDP checksum over IPv4, and none at all (0) is accepted") {
        auto f = udp4_frame;
        f.back() ^= 1;
        CHECK(run(f).reason == drop_reason::bad_checksum);
        f[40] = f[41] = 0;
        CHECK(run(f).kind == frame_kind::datagram);
    }
    SECTION("UDP checksum over IPv6, which is mandatory") {
        auto f = udp6_frame;
        f.back() ^= 1;
        CHECK(run(f).reason == drop_reason::bad_checksum);
        f[60] = f[61] = 0;
        CHECK(run(f).reason == drop_reason::bad_checksum);
    }
    SECTION("UDP checksums the NIC verified are not summed again; the IPv4 header's still is") {
        auto f4 = udp4_frame;
        f4.back() ^= 1;  // a payload the NIC said was good: taken as it says
        const frame_info a = classify(f4, us(), true);
        CHECK(a.kind == frame_kind::datagram);
        CHECK(a.payload_length == run(udp4_frame).payload_length);
        auto f6 = udp6_frame;
        f6.back() ^= 1;
        CHECK(classify(f6, us(), true).kind == frame_kind::datagram);
        f6[60] = f6[61] = 0;  // no checksum over IPv6 is malformed, whatever the NIC said
        CHECK(classify(f6, us(), true).reason == drop_reason::bad_checksum);
        auto h = udp4_frame;
        h[25] ^= 1;
        CHECK(classify(h, us(), true).reason == drop_reason::bad_checksum);
    }
    SECTION("IPv4 header length below 20, or wrong version") {
        auto f = udp4_frame;
        f[14] = 0x44;
        CHECK(run(f).reason == drop_reason::bad_ip_header);
        f[14] = 0x65;
        CHECK(run(f).reason == drop_reason::bad_ip_header);
    }
    SECTION("IPv4 total length past the frame, UDP length past the IP packet") {
        auto f = udp4_frame;
        f[17] += 1;
        fix_ipv4_checksum(f);
        CHECK(run(f).reason == drop_reason::truncated);
        f = udp4_frame;
        f[39] += 1;
        CHECK(run(f).reason == drop_reason::truncated);
        f[38] = 0;
        f[39] = 7;  // below the UDP header
        CHECK(run(f).reason == drop_reason::truncated);
    }
    SECTION("IPv6 payload length past the frame") {
        auto f = udp6_frame;
        f[19] += 1;
        CHECK(run(f).reason == drop_reason::truncated);
    }
    SECTION("every truncation of every frame kind") {
        for (const auto* whole : {&udp4_frame, &udp6_frame, &arp_request_for_us, &ns_for_us}) {
            for (size_t n = 0; n < whole->size(); ++n) {
                // A copy of exactly n bytes, so a sanitizer sees any read past it.
                const std::vector<uint8_t> cut(whole->begin(), whole->begin() + static_cast<long>(n));
                const frame_info f = run(cut);
                INFO("frame of " << whole->size() << " bytes cut to " << n);
                CHECK(f.kind == frame_kind::dropped);
                CHECK(f.reason == drop_reason::truncated);
            }
        }
    }
}

TEST_CASE("an ARP request for our address is one to answer; the reply's bytes") {
    const frame_info f = run(arp_request_for_us);
    REQUIRE(f.kind == frame_kind::arp_request);
    CHECK(f.sender_ip == ip("10.77.0.2"));
    CHECK(f.sender_mac == peer_mac);

    std::vector<uint8_t> out(arp_frame);
    REQUIRE(write_arp_reply(out, our_mac, ip("10.77.0.1"), f.sender_mac, f.sender_ip) == arp_frame);
    CHECK(out == arp_reply_expected);

    auto other = arp_request_for_us;
    other[41] = 9;  // asks for 10.77.0.9
    CHECK(run(other).reason == drop_reason::not_for_us);
    other = arp_request_for_us;
    other[16] = 0x86;  // protocol type IPv6: not an ARP we speak
    CHECK(run(other).reason == drop_reason::not_ip);
}

TEST_CASE("an ARP reply to us is learnt from; our ARP request's bytes") {
    std::vector<uint8_t> request(arp_frame + 10);
    REQUIRE(write_arp_request(request, our_mac, ip("10.77.0.1"), ip("10.77.0.2")) == arp_frame);
    request.resize(arp_frame);
    CHECK(request == arp_request_expected);

    // The peer's reply is our reply with the roles swapped.
    std::vector<uint8_t> reply(arp_frame);
    write_arp_reply(reply, peer_mac, ip("10.77.0.2"), our_mac, ip("10.77.0.1"));
    const frame_info f = run(reply);
    REQUIRE(f.kind == frame_kind::arp_reply);
    CHECK(f.sender_ip == ip("10.77.0.2"));
    CHECK(f.sender_mac == peer_mac);
    CHECK(write_arp_request(std::span<uint8_t>(request.data(), 20), our_mac, ip("10.77.0.1"), ip("10.77.0.2")) == 0);
}

TEST_CASE("a neighbour solicitation for our IPv6 address is one to answer; the advertisement's bytes") {
    const frame_info f = run(ns_for_us);
    REQUIRE(f.kind == frame_kind::neighbour_solicitation);
    CHECK(f.sender_ip == ip("2001:db8:77::2"));
    CHECK(f.sender_mac == peer_mac);

    std::vector<uint8_t> out(nd_frame);
    REQUIRE(write_neighbour_advertisement(out, our_mac, ip("2001:db8:77::1"), f.sender_mac, f.sender_ip) == nd_frame);
    CHECK(out == na_expected);

    auto bad = ns_for_us;
    bad[21] = 64;  // hop limit below 255: not from on-link
    CHECK(run(bad).reason == drop_reason::bad_ip_header);
    bad = ns_for_us;
    bad.back() ^= 1;
    CHECK(run(bad).reason == drop_reason::bad_checksum);
    auto l = us();
    l.ipv6 = ip("2001:db8:77::5");
    CHECK(run(ns_for_us, l).reason == drop_reason::not_for_us);
}

TEST_CASE("our neighbour solicitation's bytes; a peer's advertisement is learnt from") {
    std::vector<uint8_t> out(nd_frame);
    REQUIRE(write_neighbour_solicitation(out, our_mac, ip("2001:db8:77::1"), ip("2001:db8:77::2")) == nd_frame);
    CHECK(out == ns_expected);

    std::vector<uint8_t> na(nd_frame);
    write_neighbour_advertisement(na, peer_mac, ip("2001:db8:77::2"), our_mac, ip("2001:db8:77::1"));
    const frame_info f = run(na);
    REQUIRE(f.kind == frame_kind::neighbour_advertisement);
    CHECK(f.sender_ip == ip("2001:db8:77::2"));
    CHECK(f.sender_mac == peer_mac);
}

TEST_CASE("UDP headers we write, IPv4 and IPv6, with their checksums") {
    const std::string text = "hello ipfix";
    const std::vector<uint8_t> payload(text.begin(), text.end());
    udp_route r;
    r.source_mac = our_mac;
    r.destination_mac = peer_mac;
    r.source = ip("10.77.0.1");
    r.source_port = 2055;
    r.destination = ip("10.77.0.2");
    r.destination_port = 2056;
    std::vector<uint8_t> frame(udp_headers_length(4));
    REQUIRE(write_udp_headers(frame, r, payload, 7));
    frame.insert(frame.end(), payload.begin(), payload.end());
    CHECK(frame == udp4_out);

    r.source = ip("2001:db8:77::1");
    r.destination = ip("2001:db8:77::2");
    frame.assign(udp_headers_length(6), 0);
    REQUIRE(write_udp_headers(frame, r, payload));
    frame.insert(frame.end(), payload.begin(), payload.end());
    CHECK(frame == udp6_out);

    // Mixed families or a span of the wrong size are refused.
    r.destination = ip("10.77.0.2");
    CHECK_FALSE(write_udp_headers(frame, r, payload));
    r.source = ip("10.77.0.1");
    std::vector<uint8_t> small(udp_headers_length(4) - 1);
    CHECK_FALSE(write_udp_headers(small, r, payload));
}

TEST_CASE("solicited-node groups and MAC text") {
    CHECK(solicited_node(ip("2001:db8::12:3456")) == ip("ff02::1:ff12:3456"));
    CHECK(multicast_mac(ip("ff02::1:ff12:3456")) == mac_address{0x33, 0x33, 0xff, 0x12, 0x34, 0x56});
    CHECK(to_string(mac_address{0x02, 0xab, 0, 0x10, 0xff, 1}) == "02:ab:00:10:ff:01");
}
