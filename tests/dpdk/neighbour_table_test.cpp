// The neighbour table: when to ask (rate limited), what is learnt, lifetimes, static entries,
// room for new entries; time passed in.
#include <catch2/catch.hpp>

#include "ipfix/io/eth/neighbour_table.hpp"

using namespace ipfix::io::eth;
using ipfix::proto::ip_address;

namespace {

ip_address ip(const char* text) { return *ip_address::parse(text); }
const mac_address mac_a = {2, 0, 0, 0, 0, 0xa};
const mac_address mac_b = {2, 0, 0, 0, 0, 0xb};

neighbour_table::options opts() {
    neighbour_table::options o;
    o.lifetime_ms = 40'000;
    o.retry_ms = 1'000;
    o.capacity = 4;
    return o;
}

}  // namespace

TEST_CASE("an unknown neighbour is asked for at most once per retry interval") {
    neighbour_table t(opts());
    auto a = t.lookup(ip("10.0.0.2"), 1000);
    CHECK_FALSE(a.resolved);
    CHECK(a.send_request);
    CHECK_FALSE(t.lookup(ip("10.0.0.2"), 1500).send_request);
    CHECK_FALSE(t.lookup(ip("10.0.0.2"), 1999).send_request);
    CHECK(t.lookup(ip("10.0.0.2"), 2000).send_request);
    CHECK(t.resolved_total() == 0);
    CHECK(t.resolved_now(2000) == 0);
}

TEST_CASE("an answer resolves; the entry is refreshed from 3/4 of its lifetime and expires after it") {
    neighbour_table t(opts());
    t.lookup(ip("10.0.0.2"), 0);
    t.learn(ip("10.0.0.2"), mac_a, 100, false);
    CHECK(t.resolved_total() == 1);
    auto a = t.lookup(ip("10.0.0.2"), 200);
    CHECK(a.resolved);
    CHECK(a.mac == mac_a);
    CHECK_FALSE(a.send_request);
    a = t.lookup(ip("10.0.0.2"), 100 + 30'000);  // 3/4 of 40 s: still used, asked again
    CHECK(a.resolved);
    CHECK(a.send_request);
    a = t.lookup(ip("10.0.0.2"), 100 + 40'000);
    CHECK_FALSE(a.resolved);
    CHECK(a.send_request);
    // A new answer (another MAC) resolves it again.
    t.learn(ip("10.0.0.2"), mac_b, 50'000, false);
    a = t.lookup(ip("10.0.0.2"), 50'001);
    CHECK(a.resolved);
    CHECK(a.mac == mac_b);
    CHECK(t.resolved_total() == 2);
    CHECK(t.resolved_now(50'001) == 1);
}

TEST_CASE("answers nobody asked for are ignored unless the neighbour asked for us") {
    neighbour_table t(opts());
    t.learn(ip("10.0.0.3"), mac_a, 0, false);
    CHECK(t.resolved_now(1) == 0);
    t.learn(ip("10.0.0.3"), mac_a, 0, true);
    auto a = t.lookup(ip("10.0.0.3"), 1);
    CHECK(a.resolved);
    CHECK_FALSE(a.send_request);
}

TEST_CASE("static neighbours never expire and are never asked for or overwritten") {
    neighbour_table t(opts());
    t.add_static(ip("2001:db8::2"), mac_a);
    t.learn(ip("2001:db8::2"), mac_b, 0, true);
    auto a = t.lookup(ip("2001:db8::2"), 10'000'000);
    CHECK(a.resolved);
    CHECK(a.mac == mac_a);
    CHECK_FALSE(a.send_request);
    CHECK(t.resolved_total() == 0);
}

TEST_CASE("a full table makes room by the least recently used learnt entry") {
    neighbour_table t(opts());
    t.add_static(ip("10.0.0.1"), mac_a);
    for (int i = 2; i <= 4; ++i) {
        const std::string a = "10.0.0." + std::to_string(i);
        t.learn(ip(a.c_str()), mac_b, static_cast<uint64_t>(i), true);
    }
    t.lookup(ip("10.0.0.2"), 100);  // used: .3 is now the oldest
    t.learn(ip("10.0.0.5"), mac_b, 101, true);
    CHECK(t.lookup(ip("10.0.0.1"), 102).resolved);
    CHECK(t.lookup(ip("10.0.0.2"), 102).resolved);
    CHECK(t.lookup(ip("10.0.0.5"), 102).resolved);
    CHECK(t.resolved_now(102) == 4);  // .1, .2, .4, .5: .3 gave way
    const auto gone = t.lookup(ip("10.0.0.3"), 103);
    CHECK_FALSE(gone.resolved);
    CHECK(gone.send_request);
}
