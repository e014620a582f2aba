// udp_receiver and udp_sender against each other on loopback.
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "loopback.hpp"

using namespace ipfix::io;
using namespace io_test;

namespace {

// A receiver on the loopback address of a family, kernel-picked port, room for bursts.
udp_receiver loopback_receiver(const char* address, int receive_buffer = 8 << 20, size_t max_burst = 64) {
    udp_receiver rx;
    udp_receiver_options o;
    o.listen = {ip(address)};
    o.receive_buffer = receive_buffer;
    o.max_burst = max_burst;
    REQUIRE(rx.open(o));
    REQUIRE(rx.port() != 0);
    return rx;
}

// A sender whose sockets are bound to the loopback addresses, so `from` is known exactly.
udp_sender loopback_sender(size_t max_burst = 64) {
    udp_sender tx;
    udp_sender_options o;
    o.source_v4 = socket_address{ip("127.0.0.1"), 0};
    o.source_v6 = socket_address{ip("::1"), 0};
    o.max_burst = max_burst;
    REQUIRE(tx.open(o));
    return tx;
}

// Whether this process holds a capability (CapEff in /proc/self/status, a hex mask).
bool has_capability(int bit) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> bit) & 1;
    return false;
}

int read_sysctl(const char* path) {
    std::ifstream in(path);
    int value = 0;
    in >> value;
    return value;
}

}  // namespace

TEST_CASE("a burst of 100 datagrams goes out and comes back byte for byte", "[io][udp]") {
    for (const char* loopback : {"127.0.0.1", "::1"}) {
        SECTION(loopback) {
            // Bursts smaller than the 100 items, so both sides call the kernel several times.
            udp_receiver rx = loopback_receiver(loopback, 8 << 20, 16);
            udp_sender tx = loopback_sender(24);
            const socket_address to{ip(loopback), rx.port()};
            const uint8_t family = to.address.family;
            const socket_address from = tx.local_address(family);
            REQUIRE(from.address == ip(loopback));
            REQUIRE(from.port != 0);

            std::vector<std::vector<uint8_t>> payloads;
            std::vector<tx_item> items;
            uint64_t total = 0;
            for (size_t i = 0; i < 100; ++i) {
                // 0 bytes, small, MTU-sized, jumbo, and the IPv4 limit.
                const size_t size = i == 0 ? 0 : i == 1 ? 65507 : i == 2 ? 9000 : (i * 97) % 1500 + 1;
                payloads.push_back(payload(i, size));
                total += size;
            }
            for (const auto& p : payloads) items.push_back({p.data(), static_cast<uint16_t>(p.size()), to});

            REQUIRE(send_all(tx, std::span<const tx_item>(items)) == 100);
            CHECK(tx.counters().datagrams == 100);
            CHECK(tx.counters().bytes == total);
            CHECK(tx.counters().errors == 0);

            slot_buffers buffers(100, 65535);
            REQUIRE(receive_until(rx, buffers.slots, 100) == 100);
            for (size_t i = 0; i < 100; ++i) {
                const rx_slot& s = buffers.slots[i];
                INFO("datagram " << i);
                CHECK_FALSE(s.truncated);
                REQUIRE(s.length == payloads[i].size());
                // Not memcmp: data() of an empty vector may be null.
                CHECK(std::equal(s.data, s.data + s.length, payloads[i].begin()));
                CHECK(s.from == from);
            }
            CHECK(rx.counters().datagrams == 100);
            CHECK(rx.counters().bytes == total);
            CHECK(rx.counters().truncated == 0);
            CHECK(rx.counters().errors == 0);
            // Nothing more waits, and asking does not block.
            CHECK(rx.receive_burst(buffers.slots) == 0);
            CHECK(rx.counters().errors == 0);
        }
    }
}

TEST_CASE("a datagram longer than its slot is flagged truncated", "[io][udp]") {
    udp_receiver rx = loopback_receiver("127.0.0.1");
    udp_sender tx = loopback_sender();
    const socket_address to{ip("127.0.0.1"), rx.port()};
    const auto longer = payload(1, 100), shorter = payload(2, 40), exact = payload(3, 64);
    const tx_item items[] = {{longer.data(), 100, to}, {shorter.data(), 40, to}, {exact.data(), 64, to}};
    REQUIRE(send_all(tx, std::span<const tx_item>(items)) == 3);

    slot_buffers buffers(3, 64);
    REQUIRE(receive_until(rx, buffers.slots, 3) == 3);
    const auto& s = buffers.slots;
    CHECK(s[0].truncated);
    CHECK(s[0].length == 64);
    CHECK(std::memcmp(s[0].data, longer.data(), 64) == 0);  // the datagram's start
    CHECK_FALSE(s[1].truncated);
    CHECK(s[1].length == 40);
    CHECK(std::memcmp(s[1].data, shorter.data(), 40) == 0);
    CHECK_FALSE(s[2].truncated);  // exactly the slot's size is whole
    CHECK(s[2].length == 64);
    CHECK(std::memcmp(s[2].data, exact.data(), 64) == 0);
    CHECK(rx.counters().datagrams == 3);
    CHECK(rx.counters().truncated == 1);
    CHECK(rx.counters().bytes == 64 + 40 + 64);
}

TEST_CASE("SO_REUSEPORT receivers share a port; without it the port is refused", "[io][udp]") {
    udp_receiver_options o;
    o.listen = {ip("127.0.0.1")};
    o.reuse_port = true;
    udp_receiver first;
    REQUIRE(first.open(o));
    o.port = first.port();
    udp_receiver second;
    REQUIRE(second.open(o));
    CHECK(second.port() == first.port());

    udp_receiver_options plain = o;
    plain.reuse_port = false;
    udp_receiver third;
    CHECK_FALSE(third.open(plain));
    CHECK_THAT(third.error(), Catch::Contains("cannot bind UDP listen socket 127.0.0.1:" + std::to_string(o.port)));
    CHECK_THAT(third.error(), Catch::Contains(std::strerror(EADDRINUSE)));
    CHECK(third.fds().empty());

    // Datagrams from 40 source ports: the kernel spreads them by 4-tuple hash; together the
    // two receivers get each exactly once.
    const socket_address to{ip("127.0.0.1"), o.port};
    std::set<uint16_t> senders;
    for (size_t i = 0; i < 40; ++i) {
        udp_sender tx = loopback_sender();
        const auto p = payload(i, 2);
        const tx_item item{p.data(), 2, to};
        REQUIRE(tx.send_burst(std::span(&item, 1)) == 1);
        senders.insert(tx.local_address(4).port);
    }
    slot_buffers a(40, 16), b(40, 16);
    // Each gets what it got by the time both have 40 together.
    size_t got_a = 0, got_b = 0;
    for (int round = 0; round < 100 && got_a + got_b < 40; ++round) {
        got_a += receive_until(first, std::span(a.slots).subspan(got_a), 40 - got_a - got_b, 50ms);
        got_b += receive_until(second, std::span(b.slots).subspan(got_b), 40 - got_a - got_b, 50ms);
    }
    REQUIRE(got_a + got_b == 40);
    std::set<uint16_t> seen;
    for (size_t i = 0; i < got_a; ++i) seen.insert(a.slots[i].from.port);
    for (size_t i = 0; i < got_b; ++i) seen.insert(b.slots[i].from.port);
    CHECK(seen == senders);
    CHECK(first.counters().datagrams + second.counters().datagrams == 40);
}

TEST_CASE("0.0.0.0 and :: bind side by side and keep their families apart", "[io][udp]") {
    udp_receiver rx;
    udp_receiver_options o;
    o.listen = {ip("0.0.0.0"), ip("::")};
    REQUIRE(rx.open(o));
    REQUIRE(rx.fds().size() == 2);
    udp_sender tx = loopback_sender();
    const auto p4 = payload(4, 44), p6 = payload(6, 66);
    const tx_item items[] = {{p4.data(), 44, {ip("127.0.0.1"), rx.port()}}, {p6.data(), 66, {ip("::1"), rx.port()}}};
    REQUIRE(tx.send_burst(items) == 2);

    slot_buffers buffers(2, 128);
    REQUIRE(receive_until(rx, buffers.slots, 2) == 2);
    // Which socket is read first depends on the turn; match by family.
    for (const rx_slot& s : std::span(buffers.slots).first(2)) {
        if (s.from.address.family == 4) {
            CHECK(s.from == tx.local_address(4));  // a real IPv4 peer, not ::ffff:127.0.0.1
            REQUIRE(s.length == 44);
            CHECK(std::memcmp(s.data, p4.data(), 44) == 0);
        } else {
            CHECK(s.from == tx.local_address(6));
            REQUIRE(s.length == 66);
            CHECK(std::memcmp(s.data, p6.data(), 66) == 0);
        }
    }
    CHECK(buffers.slots[0].from.address.family != buffers.slots[1].from.address.family);
}

TEST_CASE("the receive buffer obtained is reported", "[io][udp]") {
    const int wanted = 1 << 20;
    udp_receiver rx = loopback_receiver("127.0.0.1", wanted);
    // SO_RCVBUFFORCE with CAP_NET_ADMIN (root here and in CI), else capped at rmem_max.
    constexpr int cap_net_admin = 12;
    const int rmem_max = read_sysctl("/proc/sys/net/core/rmem_max");
    const int expected = has_capability(cap_net_admin) ? wanted : std::min(wanted, rmem_max);
    CHECK(rx.receive_buffer() == expected);
    udp_receiver none = loopback_receiver("127.0.0.1", 0);
    // Untouched: the default, halved as every figure here.
    CHECK(none.receive_buffer() == read_sysctl("/proc/sys/net/core/rmem_default") / 2);
}

TEST_CASE("datagrams the kernel drops on a full buffer are counted", "[io][udp]") {
    // A tiny buffer: the kernel keeps a few 1000-byte datagrams and drops the rest.
    udp_receiver rx = loopback_receiver("127.0.0.1", 4096);
    udp_sender tx = loopback_sender();
    const auto p = payload(9, 1000);
    const std::vector<tx_item> items(200, tx_item{p.data(), 1000, {ip("127.0.0.1"), rx.port()}});
    REQUIRE(send_all(tx, std::span<const tx_item>(items)) == 200);
    REQUIRE(tx.counters().datagrams == 200);

    slot_buffers buffers(200, 2048);
    size_t got = 0;
    // Loopback delivers in the sender's system call, almost always; wait a little if not.
    for (int round = 0; round < 50 && got + rx.kernel_drops() < 200; ++round)
        got += receive_until(rx, std::span(buffers.slots).subspan(got), 200 - got, 100ms);
    CHECK(got + rx.kernel_drops() == 200);
    CHECK(rx.kernel_drops() > 0);
    CHECK(got > 0);
    CHECK(rx.counters().datagrams == got);
}

TEST_CASE("send_burst drops a datagram that fails and sends the rest", "[io][udp]") {
    udp_receiver rx = loopback_receiver("127.0.0.1");
    udp_sender tx = loopback_sender();
    const socket_address to{ip("127.0.0.1"), rx.port()};
    const auto p = payload(5, 10);
    const std::vector<uint8_t> too_long(65508);
    const tx_item items[] = {
        {p.data(), 10, to},
        {p.data(), 10, {ip("127.0.0.1"), 0}},  // port 0: EINVAL
        {p.data(), 10, to},
        {too_long.data(), 65508, to},  // over IPv4's 65507: EMSGSIZE
        {p.data(), 10, {}},            // no address: no socket of its family
        {p.data(), 10, to},
    };
    CHECK(tx.send_burst(items) == 6);
    CHECK(tx.counters().datagrams == 3);
    CHECK(tx.counters().bytes == 30);
    CHECK(tx.counters().errors == 3);
    CHECK(tx.last_errno() == EMSGSIZE);
    slot_buffers buffers(4, 64);
    CHECK(receive_until(rx, buffers.slots, 4, 300ms) == 3);
}

TEST_CASE("a sender with one family drops items of the other", "[io][udp]") {
    udp_receiver rx = loopback_receiver("127.0.0.1");
    udp_sender tx;
    udp_sender_options o;
    o.source_v6.reset();
    REQUIRE(tx.open(o));
    CHECK(tx.fd(4) >= 0);
    CHECK(tx.fd(6) == -1);
    const auto p = payload(7, 20);
    const tx_item items[] = {{p.data(), 20, {ip("127.0.0.1"), rx.port()}},
                             {p.data(), 20, {ip("::1"), rx.port()}},
                             {p.data(), 20, {ip("127.0.0.1"), rx.port()}}};
    CHECK(tx.send_burst(items) == 3);
    CHECK(tx.counters().datagrams == 2);
    CHECK(tx.counters().errors == 1);
    slot_buffers buffers(3, 64);
    CHECK(receive_until(rx, buffers.slots, 2) == 2);
    // Bound to the wildcard: the kernel picks the source address by the route, lo's here.
    CHECK(tx.local_address(4).address == ip("0.0.0.0"));
    CHECK(buffers.slots[0].from == socket_address{ip("127.0.0.1"), tx.local_address(4).port});
    CHECK(buffers.slots[1].from == buffers.slots[0].from);
}

TEST_CASE("open reports what fails", "[io][udp]") {
    udp_receiver rx;
    CHECK_FALSE(rx.open({}));
    CHECK(rx.error() == "no listen address");
    udp_receiver_options o;
    o.listen = {ip("192.0.2.1")};  // not ours
    o.port = 2055;
    CHECK_FALSE(rx.open(o));
    CHECK(rx.error() == std::string("cannot bind UDP listen socket 192.0.2.1:2055: ") + std::strerror(EADDRNOTAVAIL));
    CHECK(rx.fds().empty());
    o.listen = {ip("127.0.0.1"), ipfix::proto::ip_address{}};
    CHECK_FALSE(rx.open(o));
    CHECK(rx.error() == "UDP listen socket -: no address");
    CHECK(rx.fds().empty());  // the first socket was closed again

    udp_sender tx;
    udp_sender_options s;
    s.source_v4 = socket_address{ip("::1"), 0};
    CHECK_FALSE(tx.open(s));
    CHECK(tx.error() == "UDP sender: a source address of the wrong family");
    s.source_v4 = socket_address{ip("192.0.2.1"), 0};
    CHECK_FALSE(tx.open(s));
    CHECK(tx.error() == std::string("cannot bind UDP send socket 192.0.2.1:0: ") + std::strerror(EADDRNOTAVAIL));
    CHECK(tx.fd(4) == -1);
    CHECK(tx.fd(6) == -1);
}

TEST_CASE("receivers and senders move", "[io][udp]") {
    udp_receiver a = loopback_receiver("::1");
    const int fd = a.fds()[0];
    const uint16_t port = a.port();
    udp_receiver b = std::move(a);
    CHECK(a.fds().empty());
    REQUIRE(b.fds().size() == 1);
    CHECK(b.fds()[0] == fd);
    udp_sender tx = loopback_sender();
    udp_sender moved(std::move(tx));
    CHECK(tx.fd(6) == -1);
    const auto p = payload(8, 8);
    const tx_item item{p.data(), 8, {ip("::1"), port}};
    REQUIRE(moved.send_burst(std::span(&item, 1)) == 1);
    slot_buffers buffers(1, 16);
    REQUIRE(receive_until(b, buffers.slots, 1) == 1);
    CHECK(std::memcmp(buffers.slots[0].data, p.data(), 8) == 0);
}
