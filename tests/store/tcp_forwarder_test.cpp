// The TCP forwarder against a collector made of plain sockets on loopback: messages wait in
// the spool while nobody listens, are replayed in order when the collector is up, and after
// the collector closes its side the next connection begins with the templates.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"
#include "ipfix/io/template_memory.hpp"
#include "ipfix/proto/byte_order.hpp"
#include "ipfix/store/tcp_forwarder.hpp"
#include "ipfix/store/template_store.hpp"
#include "tcp_messages.hpp"

using namespace ipfix;
using namespace ipfix::test;
using namespace std::chrono_literals;

namespace {

// A listening socket on 127.0.0.1 (port picked by the kernel); listen() only when asked.
struct collector {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    uint16_t port = 0;
    collector() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~collector() { ::close(fd); }
    int accept_one() {
        REQUIRE(::listen(fd, 4) == 0);
        pollfd p{fd, POLLIN, 0};
        REQUIRE(::poll(&p, 1, 10'000) == 1);
        return ::accept(fd, nullptr, nullptr);
    }
};

// Stops listening: the old socket's fd is returned for closing, the collector keeps a fresh one.
int listen_fd_reset(collector& c) {
    const int old = c.fd;
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    return old;
}

// Reads whole IPFIX messages from `fd` until `count` arrived or 10 s passed; `carry` keeps the
// start of a message cut by the last read for the next call.
std::vector<std::vector<uint8_t>> read_messages(int fd, size_t count, std::vector<uint8_t>* carry = nullptr) {
    std::vector<std::vector<uint8_t>> out;
    std::vector<uint8_t> own;
    std::vector<uint8_t>& buf = carry ? *carry : own;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (out.size() < count && std::chrono::steady_clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) continue;
        uint8_t chunk[4096];
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buf.insert(buf.end(), chunk, chunk + n);
        while (size_t len = io::ipfix_message_length(buf)) {
            out.emplace_back(buf.begin(), buf.begin() + static_cast<long>(len));
            buf.erase(buf.begin(), buf.begin() + static_cast<long>(len));
        }
    }
    return out;
}

template <class F>
bool wait_for(F done) {
    for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
}

uint32_t number_of(const std::vector<uint8_t>& m) { return proto::load_be32(m.data() + m.size() - 4); }
uint16_t first_set(const std::vector<uint8_t>& m) { return proto::load_be16(m.data() + 16); }

}  // namespace

TEST_CASE("tcp_forwarder: spooled while down, replayed in order, templates first on a new connection") {
    temp_dir dir;
    auto db = store::template_store::open(dir.str("store"));
    std::string error;
    auto* family = db->column_family("spool", error);
    REQUIRE(family != nullptr);
    collector c;
    store::tcp_forwarder_options o;
    o.collector = {*proto::ip_address::parse("127.0.0.1"), c.port};
    o.initial_backoff_ms = 20;
    o.max_backoff_ms = 100;
    store::tcp_forwarder f(o, std::make_unique<store::spool>(db->db(), family, o.collector.to_string(), 1 << 20));
    f.start();

    // Nobody listens: everything waits in the spool.
    for (uint32_t i = 0; i < 50; ++i) REQUIRE(f.queue(0).push(data_message(1, i, i, i == 0)));
    REQUIRE(wait_for([&] { return f.health().spooled == 50; }));
    CHECK(f.health().backlog_messages == 50);
    CHECK(f.health().state != pipeline::link_state::connected);

    int s = c.accept_one();
    REQUIRE(s >= 0);
    auto first = read_messages(s, 50);
    REQUIRE(first.size() == 50);
    for (uint32_t i = 0; i < 50; ++i) {
        CHECK(number_of(first[i]) == i);
        CHECK(io::read_ipfix_header(first[i]).sequence == i);
    }
    CHECK(first_set(first[0]) == 2);  // nothing acknowledged before: the message's own template
    for (uint32_t i = 50; i < 80; ++i) REQUIRE(f.queue(0).push(data_message(1, i, i)));
    auto live = read_messages(s, 30);
    REQUIRE(live.size() == 30);
    CHECK(number_of(live.front()) == 50);
    CHECK(number_of(live.back()) == 79);
    REQUIRE(wait_for([&] { return f.health().sent == 80; }));
    CHECK(f.health().backlog_messages == 0);
    CHECK(f.health().replayed == 50);

    // The collector closes its side; what it was sent arrives, the next connection has the templates first.
    ::shutdown(s, SHUT_WR);
    CHECK(read_messages(s, 1).empty());  // EOF: the forwarder closed after us
    ::close(s);
    // Still listening: the kernel completes the next connection before we accept it.
    REQUIRE(wait_for([&] { return f.health().connects == 2 && f.health().state == pipeline::link_state::connected; }));
    for (uint32_t i = 80; i < 100; ++i) REQUIRE(f.queue(0).push(data_message(1, i, i)));
    s = c.accept_one();
    auto second = read_messages(s, 21);
    REQUIRE(second.size() == 21);
    CHECK(first_set(second[0]) == 2);
    CHECK(second[0].size() == 16 + 12);   // the template set only
    CHECK(io::read_ipfix_header(second[0]).sequence == 80);
    for (uint32_t i = 0; i < 20; ++i) CHECK(number_of(second[i + 1]) == 80 + i);
    REQUIRE(wait_for([&] { return f.health().sent == 100; }));
    f.stop();
    const pipeline::collector_health h = f.health();
    CHECK(h.dropped == 0);
    CHECK(h.connects == 2);
    CHECK(h.backlog_messages == 0);
    CHECK(h.spooled == 50);
    CHECK(h.replayed == 50);
    CHECK(h.last_success_ms > 0);
    ::close(s);
}

TEST_CASE("config: transport tcp needs IPFIX output, with the file and line of the key") {
    const auto c = config::parse("forwarding:\n  collectors:\n    - {host: 127.0.0.1, port: 4739, version: ipfix, transport: tcp,"
                                 " spool_max_bytes: 1048576}\n    - {host: 127.0.0.1}\n",
                                 "t.yaml", false);
    REQUIRE(c.forwarding.collectors.size() == 2);
    CHECK(c.forwarding.collectors[0].transport == config::collector_transport::tcp);
    CHECK(c.forwarding.collectors[0].spool_max_bytes == 1048576);
    CHECK(c.forwarding.collectors[1].transport == config::collector_transport::udp);
    CHECK(c.forwarding.collectors[1].spool_max_bytes == 256u << 20);
    try {
        config::parse("forwarding:\n  collectors:\n    - host: 127.0.0.1\n      transport: tcp\n", "t.yaml", false);
        FAIL("accepted tcp without version ipfix");
    } catch (const config::config_error& e) {
        CHECK(e.file() == "t.yaml");
        CHECK(e.line() == 4);
        CHECK(e.key() == "forwarding.collectors[0].transport");
    }
    CHECK_THROWS_AS(config::parse("forwarding:\n  collectors: [{host: 127.0.0.1, transport: sctp}]\n", "t.yaml", false),
                    config::config_error);
}

TEST_CASE("tcp_forwarder: after a restart the spooled data gets the templates learnt before it") {
    temp_dir dir;
    std::string error;
    collector c;
    store::tcp_forwarder_options o;
    o.collector = {*proto::ip_address::parse("127.0.0.1"), c.port};
    o.initial_backoff_ms = 20;
    o.max_backoff_ms = 100;
    {
        auto db = store::template_store::open(dir.str("store"));
        auto* family = db->column_family("spool", error);
        REQUIRE(family != nullptr);
        store::tcp_forwarder f(o, std::make_unique<store::spool>(db->db(), family, "x", 1 << 20));
        f.start();
        REQUIRE(f.queue(0).push(data_message(7, 0, 0, true)));
        int s = c.accept_one();
        REQUIRE(read_messages(s, 1).size() == 1);
        REQUIRE(wait_for([&] { return f.health().sent == 1; }));
        ::close(listen_fd_reset(c));  // nobody listens any more
        ::shutdown(s, SHUT_WR);
        CHECK(read_messages(s, 1).empty());
        ::close(s);
        for (uint32_t i = 1; i < 4; ++i) REQUIRE(f.queue(0).push(data_message(7, i, i)));
        // The first went through the spool too (nobody listened before accept_one).
        REQUIRE(wait_for([&] { return f.health().spooled == 4; }));
        CHECK(f.health().backlog_messages == 3);
        f.stop();
    }
    auto db = store::template_store::open(dir.str("store"));
    auto* family = db->column_family("spool", error);
    REQUIRE(family != nullptr);
    store::spool back(db->db(), family, "x", 1 << 20);
    CHECK(back.messages() == 3);
    const auto kept = back.load_templates();
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].domain == 7);
    CHECK(kept[0].set_id == 2);
    const std::vector<uint8_t> set = template_set(256);
    CHECK(kept[0].record == std::vector<uint8_t>(set.begin() + 4, set.end()));  // the record, without the set header

    // The restarted sender: templates first, then the spooled data in order, sequence numbers kept.
    collector again;
    o.collector.port = again.port;
    store::tcp_forwarder f(o, std::make_unique<store::spool>(db->db(), family, "x", 1 << 20));
    f.start();
    const int s = again.accept_one();
    const auto got = read_messages(s, 4);
    REQUIRE(got.size() == 4);
    CHECK(got[0] == template_message(7, 1));
    for (uint32_t i = 1; i < 4; ++i) CHECK(got[i] == data_message(7, i, i));
    REQUIRE(wait_for([&] { return f.health().sent == 3; }));
    f.stop();
    CHECK(f.health().backlog_messages == 0);
    CHECK(f.health().replayed == 3);
    ::close(s);
}

TEST_CASE("tcp_forwarder: a reset connection resends, whole and in order, what was not acknowledged") {
    temp_dir dir;
    auto db = store::template_store::open(dir.str("store"));
    std::string error;
    auto* family = db->column_family("spool", error);
    REQUIRE(family != nullptr);
    collector c;
    const int small = 4096;  // the accepted socket inherits it: the collector's window fills at once
    ::setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    store::tcp_forwarder_options o;
    o.collector = {*proto::ip_address::parse("127.0.0.1"), c.port};
    o.initial_backoff_ms = 20;
    o.max_backoff_ms = 100;
    o.max_unacked_bytes = 16 << 10;
    store::tcp_forwarder f(o, std::make_unique<store::spool>(db->db(), family, "r", 16 << 20));
    f.start();
    int s = c.accept_one();
    REQUIRE(s >= 0);
    constexpr uint32_t total = 20000;
    uint64_t refused = 0;  // the queue counts each refusal as a drop; the test pushes again
    for (uint32_t i = 0; i < total; ++i) {
        while (!f.queue(0).push(data_message(1, i, i, i == 0))) {
            ++refused;
            std::this_thread::sleep_for(1ms);
        }
    }
    // Nobody reads: the windows fill, then the spool takes the rest.
    REQUIRE(wait_for([&] { return f.health().spooled > 0 && f.health().spooled + f.health().sent < total; }));
    const linger reset{1, 0};
    ::setsockopt(s, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(s);  // RST: what sat unread in our receive buffer is lost, as the README says
    s = c.accept_one();
    REQUIRE(s >= 0);
    std::vector<uint32_t> numbers;
    std::vector<uint8_t> carry;
    bool templates_first = false;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until &&
           !(f.health().sent == total && f.health().backlog_messages == 0 && !numbers.empty() && numbers.back() == total - 1)) {
        for (const auto& m : read_messages(s, 1, &carry)) {
            if (m.size() == 16 + 12 && first_set(m) == 2) {
                templates_first = numbers.empty();
                continue;
            }
            numbers.push_back(number_of(m));
        }
    }
    REQUIRE_FALSE(numbers.empty());
    const uint32_t first = numbers.front();
    CHECK(first > 0);  // some went over the first connection
    CHECK(templates_first);
    std::vector<uint32_t> expected;
    for (uint32_t i = first; i < total; ++i) expected.push_back(i);
    size_t differ = 0;
    while (differ < numbers.size() && differ < expected.size() && numbers[differ] == expected[differ]) ++differ;
    INFO("received " << numbers.size() << ", expected " << expected.size() << ", first difference at " << differ
                     << (differ < numbers.size() ? ": got " + std::to_string(numbers[differ]) : std::string())
                     << (differ + 1 < numbers.size() ? ", then " + std::to_string(numbers[differ + 1]) : std::string()));
    CHECK(numbers == expected);  // no gap, no repeat, in order
    f.stop();
    const pipeline::collector_health h = f.health();
    CHECK(h.sent == total);
    CHECK(h.dropped == refused);
    CHECK(h.connects == 2);
    CHECK(h.backlog_messages == 0);
    ::close(s);
}
