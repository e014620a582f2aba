// udp_sender with a peer (a connected socket per destination): what the destination refuses is
// counted as its own, on loopback where the ICMP error comes back within the send.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <vector>

#include "loopback.hpp"

using namespace ipfix::io;
using namespace io_test;

namespace {

// A loopback UDP port nobody listens on (bound, then closed).
uint16_t closed_port() {
    udp_receiver r;
    udp_receiver_options o;
    o.listen = {ip("127.0.0.1")};
    REQUIRE(r.open(o));
    return r.port();
}

udp_sender connected_sender(uint16_t port) {
    udp_sender tx;
    udp_sender_options o;
    o.source_v4 = socket_address{ip("127.0.0.1"), 0};
    o.source_v6.reset();
    o.peer = socket_address{ip("127.0.0.1"), port};
    REQUIRE(tx.open(o));
    return tx;
}

}  // namespace

TEST_CASE("a closed port's refusals are counted: every datagram lost, none twice", "[io][udp]") {
    const uint16_t port = closed_port();
    udp_sender tx = connected_sender(port);
    const std::vector<uint8_t> bytes = payload(1, 100);
    const tx_item item{bytes.data(), 100, {ip("127.0.0.1"), port}};
    constexpr size_t sends = 6;
    for (size_t i = 0; i < sends; ++i) {
        CHECK(tx.send_burst({&item, 1}) == 1);  // sent or dropped, never left for a full buffer
        tx.read_errors();
    }
    tx.read_errors();
    const udp_sender_counters& c = tx.counters();
    // Sent and refused later (ICMP), or refused at once for an earlier one's error.
    CHECK(c.datagrams + c.unreachable == sends);
    CHECK(c.refused + c.unreachable == sends);
    CHECK(c.errors == c.unreachable);
    CHECK(c.refused >= 1);
    CHECK(c.bytes == c.datagrams * 100);
}

TEST_CASE("a listening peer refuses nothing; the error queue read stays empty", "[io][udp]") {
    udp_receiver rx;
    udp_receiver_options o;
    o.listen = {ip("127.0.0.1")};
    REQUIRE(rx.open(o));
    udp_sender tx = connected_sender(rx.port());
    const std::vector<uint8_t> bytes = payload(2, 64);
    const std::vector<tx_item> items(3, tx_item{bytes.data(), 64, {ip("127.0.0.1"), rx.port()}});
    CHECK(tx.send_burst(items) == 3);
    tx.read_errors();
    slot_buffers buffers(4, 2048);
    CHECK(receive_until(rx, buffers.slots, 3) == 3);
    CHECK(tx.counters().datagrams == 3);
    CHECK(tx.counters().refused == 0);
    CHECK(tx.counters().errors == 0);
}

TEST_CASE("a peer of a family without a socket is refused at open", "[io][udp]") {
    udp_sender tx;
    udp_sender_options o;
    o.source_v6.reset();
    o.peer = socket_address{ip("::1"), 9};
    CHECK_FALSE(tx.open(o));
    CHECK(tx.error().find("cannot connect the UDP send socket to [::1]:9") != std::string::npos);
    CHECK(tx.fd(4) == -1);
}
