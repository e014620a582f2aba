// raw_udp_sender on loopback: a udp_receiver sees the source we wrote. The kernel drops UDP
// datagrams with a bad checksum (shown here too), so each receipt also proves the checksum.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

#include "ipfix/io/raw_udp_sender.hpp"
#include "ipfix/io/udp_checksum.hpp"
#include "loopback.hpp"

using namespace ipfix::io;
using namespace io_test;

namespace {

// The sender, or nothing (with a printed warning) when this process may not open raw sockets.
bool open_or_skip(raw_udp_sender& tx) {
    if (tx.open({})) return true;
    WARN("SKIPPED: " << tx.error());
    REQUIRE_THAT(tx.error(), Catch::Contains("CAP_NET_RAW"));
    return false;
}

udp_receiver receiver_on(const char* address) {
    udp_receiver rx;
    udp_receiver_options o;
    o.listen = {ip(address)};
    o.receive_buffer = 8 << 20;
    REQUIRE(rx.open(o));
    return rx;
}

}  // namespace

TEST_CASE("build_udp_headers writes IPv4 and UDP headers", "[io][raw]") {
    const std::vector<uint8_t> abc = {'a', 'b', 'c'};
    raw_tx_item item{abc.data(), 3, {ip("192.0.2.1"), 1234}, {ip("198.51.100.2"), 2055}};
    std::array<uint8_t, max_raw_header> out{};
    REQUIRE(build_udp_headers(item, out, 64) == 28);
    // Header checksum by hand: 4500 + 001f + 0000 + 0000 + 4011 + c000 + 0201 + c633 + 6402
    // = 27166, folded 7168, inverted 8e97. UDP checksum as in the checksum test.
    const uint8_t expected[28] = {0x45, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x8e, 0x97, 0xc0, 0x00,
                                  0x02, 0x01, 0xc6, 0x33, 0x64, 0x02, 0x04, 0xd2, 0x08, 0x07, 0x00, 0x0b, 0x42, 0x65};
    CHECK(std::memcmp(out.data(), expected, 28) == 0);
    CHECK(internet_checksum(std::span(out).first(20)) == 0);
}

TEST_CASE("build_udp_headers writes IPv6 and UDP headers", "[io][raw]") {
    const std::vector<uint8_t> abc = {'a', 'b', 'c'};
    raw_tx_item item{abc.data(), 3, {ip("2001:db8::1"), 1234}, {ip("2001:db8::2"), 2055}};
    std::array<uint8_t, max_raw_header> out{};
    REQUIRE(build_udp_headers(item, out, 7) == 48);
    const uint8_t fixed[8] = {0x60, 0, 0, 0, 0x00, 0x0b, 17, 7};  // version, length 11, UDP, hop limit
    CHECK(std::memcmp(out.data(), fixed, 8) == 0);
    CHECK(std::memcmp(out.data() + 8, item.from.address.bytes.data(), 16) == 0);
    CHECK(std::memcmp(out.data() + 24, item.to.address.bytes.data(), 16) == 0);
    const uint8_t udp[8] = {0x04, 0xd2, 0x08, 0x07, 0x00, 0x0b, 0xd3, 0x27};
    CHECK(std::memcmp(out.data() + 40, udp, 8) == 0);
}

TEST_CASE("build_udp_headers refuses what cannot be sent", "[io][raw]") {
    std::vector<uint8_t> big(65508);
    std::array<uint8_t, max_raw_header> out{};
    const socket_address a{ip("127.0.0.1"), 1}, b{ip("::1"), 1};
    CHECK(build_udp_headers({big.data(), 65508, a, a}, out) == 0);
    CHECK(build_udp_headers({big.data(), 65507, a, a}, out) == 28);
    CHECK(build_udp_headers({big.data(), 10, a, b}, out) == 0);
    CHECK(build_udp_headers({big.data(), 10, {}, {}}, out) == 0);
}

TEST_CASE("raw IPv4: the receiver sees the exporter's address and port", "[io][raw]") {
    raw_udp_sender tx;
    if (!open_or_skip(tx)) return;
    udp_receiver rx = receiver_on("127.0.0.1");
    const socket_address exporter{ip("127.0.0.9"), 4321};
    const socket_address to{ip("127.0.0.1"), rx.port()};
    std::vector<std::vector<uint8_t>> payloads;
    for (size_t size : {0u, 1u, 3u, 1281u, 1472u, 9000u, 65507u}) payloads.push_back(payload(size, size));
    std::vector<raw_tx_item> items;
    uint64_t total = 0;
    for (const auto& p : payloads) {
        items.push_back({p.data(), static_cast<uint16_t>(p.size()), exporter, to});
        total += p.size();
    }
    REQUIRE(send_all(tx, std::span<const raw_tx_item>(items)) == items.size());
    CHECK(tx.counters().datagrams == items.size());
    CHECK(tx.counters().bytes == total);
    CHECK(tx.counters().errors == 0);

    slot_buffers buffers(items.size() + 1, 65535);
    REQUIRE(receive_until(rx, buffers.slots, items.size()) == items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        const rx_slot& s = buffers.slots[i];
        INFO("datagram " << i);
        CHECK(s.from == exporter);
        CHECK_FALSE(s.truncated);
        REQUIRE(s.length == payloads[i].size());
        // Not memcmp: data() of an empty vector may be null.
        CHECK(std::equal(s.data, s.data + s.length, payloads[i].begin()));
    }
}

TEST_CASE("raw IPv6: the receiver sees the exporter's address and port", "[io][raw]") {
    raw_udp_sender tx;
    if (!open_or_skip(tx)) return;
    udp_receiver rx = receiver_on("::1");
    const socket_address exporter{ip("::1"), 4322};
    const socket_address to{ip("::1"), rx.port()};
    std::vector<std::vector<uint8_t>> payloads;
    // Up to loopback's MTU (65536): no fragments for header-included packets.
    for (size_t size : {0u, 2u, 5u, 1281u, 1452u, 9000u, 65536u - 48u}) payloads.push_back(payload(size, size));
    std::vector<raw_tx_item> items;
    for (const auto& p : payloads) items.push_back({p.data(), static_cast<uint16_t>(p.size()), exporter, to});
    REQUIRE(send_all(tx, std::span<const raw_tx_item>(items)) == items.size());
    CHECK(tx.counters().datagrams == items.size());
    CHECK(tx.counters().errors == 0);

    slot_buffers buffers(items.size() + 1, 65535);
    REQUIRE(receive_until(rx, buffers.slots, items.size()) == items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        const rx_slot& s = buffers.slots[i];
        INFO("datagram " << i);
        CHECK(s.from == exporter);
        REQUIRE(s.length == payloads[i].size());
        // Not memcmp: data() of an empty vector may be null.
        CHECK(std::equal(s.data, s.data + s.length, payloads[i].begin()));
    }
}

TEST_CASE("raw sender refuses oversize payloads and packets over the MTU, and goes on", "[io][raw]") {
    raw_udp_sender tx;
    if (!open_or_skip(tx)) return;
    udp_receiver rx4 = receiver_on("127.0.0.1");
    udp_receiver rx6 = receiver_on("::1");
    const std::vector<uint8_t> big(65508);
    const auto small = payload(3, 30);
    const socket_address from4{ip("127.0.0.9"), 4321}, to4{ip("127.0.0.1"), rx4.port()};
    const socket_address from6{ip("::1"), 4322}, to6{ip("::1"), rx6.port()};
    const raw_tx_item items[] = {
        {big.data(), 65508, from4, to4},       // over 65507: refused before the kernel
        {small.data(), 30, from4, to4},
        {big.data(), 65536 - 47, from6, to6},  // one byte over loopback's MTU: EMSGSIZE
        {small.data(), 30, from6, to6},
        {small.data(), 30, from4, to6},        // mixed families: refused
    };
    CHECK(tx.send_burst(items) == 5);
    CHECK(tx.counters().datagrams == 2);
    CHECK(tx.counters().bytes == 60);
    CHECK(tx.counters().errors == 3);
    CHECK(tx.counters().oversize == 1);
    CHECK(tx.last_errno() == EMSGSIZE);
    slot_buffers b4(2, 64), b6(2, 64);
    REQUIRE(receive_until(rx4, b4.slots, 1) == 1);
    REQUIRE(receive_until(rx6, b6.slots, 1) == 1);
    CHECK(b4.slots[0].from == from4);
    CHECK(b4.slots[0].length == 30);
    CHECK(b6.slots[0].from == from6);
    CHECK(b6.slots[0].length == 30);
    CHECK(rx4.receive_burst(b4.slots) == 0);
    CHECK(rx6.receive_burst(b6.slots) == 0);
}

TEST_CASE("the kernel drops a datagram with a bad UDP checksum on loopback", "[io][raw]") {
    // What makes receipt a proof: a packet like ours with its checksum off by one never arrives,
    // while the good one sent after it does.
    raw_udp_sender probe;
    if (!open_or_skip(probe)) return;
    for (const char* loopback : {"127.0.0.1", "::1"}) {
        SECTION(loopback) {
            udp_receiver rx = receiver_on(loopback);
            const bool v4 = ip(loopback).family == 4;
            const int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW, IPPROTO_RAW);
            REQUIRE(fd >= 0);
            const auto bad = payload(1, 100), good = payload(2, 100);
            const socket_address from{ip(v4 ? "127.0.0.9" : "::1"), 4323}, to{ip(loopback), rx.port()};
            for (const auto* p : {&bad, &good}) {
                std::vector<uint8_t> packet(max_raw_header);
                const std::span<uint8_t, max_raw_header> room(packet.data(), max_raw_header);
                const size_t header = build_udp_headers({p->data(), 100, from, to}, room);
                REQUIRE(header != 0);
                packet.resize(header);
                packet.insert(packet.end(), p->begin(), p->end());
                if (p == &bad) packet[header - 1] ^= 1;  // the UDP checksum's low byte
                sockaddr_storage ss{};
                const socklen_t length = socket_address{to.address, 0}.to_sockaddr(ss);
                REQUIRE(::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&ss), length) ==
                        static_cast<ssize_t>(packet.size()));
            }
            ::close(fd);
            slot_buffers buffers(2, 128);
            REQUIRE(receive_until(rx, buffers.slots, 1) == 1);
            CHECK(std::memcmp(buffers.slots[0].data, good.data(), 100) == 0);
            CHECK(rx.receive_burst(buffers.slots) == 0);
        }
    }
}

TEST_CASE("raw sender without a family counts items to it as errors", "[io][raw]") {
    raw_udp_sender tx;
    raw_udp_sender_options o;
    o.ipv6 = false;
    if (!tx.open(o)) {
        WARN("SKIPPED: " << tx.error());
        return;
    }
    CHECK(tx.fd(6) == -1);
    const auto p = payload(1, 4);
    const raw_tx_item item{p.data(), 4, {ip("::1"), 1}, {ip("::1"), 9}};
    CHECK(tx.send_burst(std::span(&item, 1)) == 1);
    CHECK(tx.counters().errors == 1);
    CHECK(tx.counters().datagrams == 0);
}
