// The per-worker traffic tallies (pipeline/traffic_tally.hpp) fed through flow_worker with
// hand-built datagrams: exact counts per exporter, templates per stream, top-N order, reset, the
// hand-over between threads, and the space-saving bounds.
#include "ipfix/pipeline/traffic_tally.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "ipfix/config/config.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix_builder.hpp"
#include "v5_builder.hpp"

using namespace ipfix;
using namespace ipfix::pipeline;
using ipfix::test::ipfix_builder;
using ipfix::test::v5_builder;

namespace {

struct null_sink : output_sink {
    void emit(size_t, std::span<const uint8_t>) override {}
};

const config::daemon_config& worker_config() {
    static const config::daemon_config c = config::parse(
        "enrichment:\n  as_extraction: false\nforwarding:\n  collectors:\n    - host: 127.0.0.1\n      port: 2056\n",
        "traffic_tally_test", false);
    return c;
}

proto::exporter_endpoint endpoint(const char* address, uint16_t port) { return {*proto::ip_address::parse(address), port}; }
std::string text(const proto::ip_address& a) { return a.to_string(); }

// Answers a request on this thread, then merges what was taken (no waiting).
traffic_report read_now(std::vector<traffic_tally*> tallies, uint64_t now_ms = 0, uint64_t lifetime_ms = 0) {
    for (traffic_tally* t : tallies) {
        t->request();
        t->publish();
        REQUIRE(t->take());
    }
    return read_traffic(tallies, std::chrono::milliseconds(0), now_ms, lifetime_ms);
}

struct fed_worker {
    flow_worker flow{worker_config(), nullptr};
    traffic_tally tally;
    null_sink sink;
    explicit fed_worker(const tally_limits& l = {.exact_per_second = 1'000'000, .sample_every = 1}) : tally(l) { flow.tally_traffic(&tally); }
    void send(const proto::exporter_endpoint& from, const std::vector<uint8_t>& d, uint64_t now_ms) {
        flow.process(from, d, now_ms, sink);
    }
};

}  // namespace

TEST_CASE("traffic tally: exact counts per exporter and the top AS and talkers of v5 records") {
    fed_worker w;
    const auto a = endpoint("192.0.2.1", 2055);
    const auto b = endpoint("192.0.2.2", 9995);
    const auto a1 = v5_builder({.sequence = 0})
                        .flow({.src = "10.0.0.1", .dst = "10.0.0.2", .octets = 1000, .src_as = 64500, .dst_as = 64501})
                        .flow({.src = "10.0.0.1", .dst = "10.0.0.3", .octets = 500, .src_as = 64500, .dst_as = 64502})
                        .build();
    // Sequence 5 where 2 was due: one gap.
    const auto a2 = v5_builder({.sequence = 5})
                        .flow({.src = "10.0.0.4", .dst = "10.0.0.2", .octets = 100, .src_as = 64510, .dst_as = 64501})
                        .build();
    const auto b1 = v5_builder({.sequence = 0})
                        .flow({.src = "10.0.0.4", .dst = "10.0.0.9", .octets = 7000, .src_as = 64510, .dst_as = 64501})
                        .build();
    const std::vector<uint8_t> junk = {0, 7, 0, 0, 0, 0, 0, 0};  // version 7: undecodable
    w.send(a, a1, 1000);
    w.send(a, a2, 2000);
    w.send(b, b1, 3000);
    w.send(b, junk, 4000);

    const traffic_report r = read_now({&w.tally});
    REQUIRE(r.exporters.size() == 2);
    const exporter_tally& x = r.exporters[0];  // most records first
    CHECK(text(x.exporter.address) == "192.0.2.1");
    CHECK(x.exporter.port == 2055);
    CHECK(x.version == 5);
    CHECK(x.datagrams == 2);
    CHECK(x.records == 3);
    CHECK(x.bytes == a1.size() + a2.size());
    CHECK(x.sequence_gaps == 1);
    CHECK(x.malformed == 0);
    CHECK(x.last_seen_ms == 2000);
    const exporter_tally& y = r.exporters[1];
    CHECK(text(y.exporter.address) == "192.0.2.2");
    CHECK(y.version == 5);
    CHECK(y.datagrams == 2);
    CHECK(y.records == 1);
    CHECK(y.bytes == b1.size() + junk.size());
    CHECK(y.sequence_gaps == 0);
    CHECK(y.malformed == 1);
    CHECK(y.last_seen_ms == 4000);
    CHECK(r.exporters_untracked == 0);

    // Source AS by records (ties: lower number first), bytes beside.
    REQUIRE(r.source_as.entries.size() == 2);
    CHECK(r.source_as.entries[0].key == 64500);
    CHECK(r.source_as.entries[0].count == 2);
    CHECK(r.source_as.entries[0].other == 1500);
    CHECK(r.source_as.entries[1].key == 64510);
    CHECK(r.source_as.entries[1].count == 2);
    CHECK(r.source_as.entries[1].other == 7100);
    CHECK(r.source_as.total == 4);
    REQUIRE(r.destination_as.entries.size() == 2);
    CHECK(r.destination_as.entries[0].key == 64501);
    CHECK(r.destination_as.entries[0].count == 3);
    CHECK(r.destination_as.entries[0].other == 8100);
    CHECK(r.destination_as.entries[1].key == 64502);
    CHECK(r.destination_as.entries[1].count == 1);
    CHECK(r.destination_as.entries[1].other == 500);
    // Talkers (source addresses) by bytes, records beside.
    REQUIRE(r.talkers.entries.size() == 2);
    CHECK(text(r.talkers.entries[0].key) == "10.0.0.4");
    CHECK(r.talkers.entries[0].count == 7100);
    CHECK(r.talkers.entries[0].other == 2);
    CHECK(text(r.talkers.entries[1].key) == "10.0.0.1");
    CHECK(r.talkers.entries[1].count == 1500);
    CHECK(r.talkers.entries[1].other == 2);
    for (const auto* l : {&r.source_as, &r.destination_as}) {
        for (const auto& e : l->entries) CHECK(e.error == 0);
    }
}

TEST_CASE("traffic tally: templates per exporter stream, withdrawals and expiry") {
    fed_worker w;
    const auto from = endpoint("198.51.100.7", 4739);
    w.send(from,
           ipfix_builder({.sequence = 0, .domain = 1})
               .template_set()
               .template_record(256, {{8, 4}, {12, 4}, {1, 8}})
               .options_template_set()
               .options_template_record(257, 1, {{149, 4}, {41, 8}})
               .build(),
           10'000);
    w.send(from, ipfix_builder({.sequence = 0, .domain = 2}).template_set().template_record(256, {{8, 4}}).build(),
           11'000);
    w.send(from,
           ipfix_builder({.sequence = 0, .domain = 1})
               .template_set()
               .template_record(258, {{8, 4}, {12, 4}})
               .withdrawal(256)
               .build(),
           12'000);

    traffic_report r = read_now({&w.tally});
    REQUIRE(r.templates.size() == 3);
    CHECK(text(r.templates[0].stream.exporter.address) == "198.51.100.7");
    CHECK(r.templates[0].stream.exporter.port == 4739);
    CHECK(r.templates[0].stream.domain == 1);
    CHECK(r.templates[0].id == 257);
    CHECK(r.templates[0].options);
    CHECK(r.templates[0].fields == 2);
    CHECK(r.templates[0].last_seen_ms == 10'000);
    CHECK(r.templates[1].stream.domain == 1);
    CHECK(r.templates[1].id == 258);
    CHECK_FALSE(r.templates[1].options);
    CHECK(r.templates[1].fields == 2);
    CHECK(r.templates[1].last_seen_ms == 12'000);
    CHECK(r.templates[2].stream.domain == 2);
    CHECK(r.templates[2].id == 256);
    CHECK(r.templates[2].fields == 1);
    REQUIRE(r.exporters.size() == 1);
    CHECK(r.exporters[0].version == 10);
    CHECK(r.exporters[0].datagrams == 3);

    // A lifetime of 1.5 s at 12.6 s: the templates last sent at 10 and 11 s have expired.
    r = read_now({&w.tally}, 12'600, 1'500);
    REQUIRE(r.templates.size() == 1);
    CHECK(r.templates[0].id == 258);
}

TEST_CASE("traffic tally: reset clears exporters, templates and summaries") {
    fed_worker w;
    const auto a = endpoint("192.0.2.1", 2055);
    w.send(a, v5_builder(test::v5_header{}).flow({.src = "10.0.0.1", .octets = 10, .src_as = 1}).build(), 1);
    CHECK(read_now({&w.tally}).exporters.size() == 1);
    traffic_tally* t = &w.tally;
    reset_traffic({&t, 1});
    CHECK(t->last_read().exporters.empty());  // forgotten on the reader's side at once
    traffic_report r = read_now({t});
    CHECK(r.exporters.empty());
    CHECK(r.source_as.entries.empty());
    CHECK(r.talkers.total == 0);
    w.send(a, v5_builder({.sequence = 1}).flow({.src = "10.0.0.1", .octets = 10, .src_as = 1}).build(), 2);
    r = read_now({t});
    REQUIRE(r.exporters.size() == 1);
    CHECK(r.exporters[0].datagrams == 1);
    CHECK(r.exporters[0].sequence_gaps == 0);
}

TEST_CASE("traffic tally: exporters over the bound are counted, not tracked") {
    fed_worker w({.max_exporters = 2, .exact_per_second = 1'000'000, .sample_every = 1});
    const auto d = v5_builder(test::v5_header{}).flow({.src = "10.0.0.1"}).build();
    for (uint16_t port = 1; port <= 5; ++port) w.send(endpoint("192.0.2.1", port), d, port);
    const traffic_report r = read_now({&w.tally});
    CHECK(r.exporters.size() == 2);
    CHECK(r.exporters_untracked == 3);
}

TEST_CASE("traffic tally: a reader on another thread gets the worker's counts") {
    fed_worker w;
    std::atomic<bool> fed{false}, stop{false};
    std::thread worker([&] {
        const auto d = v5_builder(test::v5_header{}).flow({.src = "10.0.0.1", .octets = 3, .src_as = 7}).build();
        for (int i = 0; i < 1000; ++i) {
            w.send(endpoint("192.0.2.1", 2055), d, 5);
            if (i % 16 == 0) w.tally.publish();
        }
        fed = true;
        // Bounded: the reader below waits at most 10 s.
        for (int i = 0; i < 20000 && !stop; ++i) {
            w.tally.publish();
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    });
    while (!fed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    traffic_tally* t = &w.tally;
    const traffic_report r = read_traffic({&t, 1}, std::chrono::seconds(10), 0, 0);
    stop = true;
    worker.join();
    REQUIRE(r.exporters.size() == 1);
    CHECK(r.exporters[0].datagrams == 1000);
    REQUIRE(r.source_as.entries.size() == 1);
    CHECK(r.source_as.entries[0].count == 1000);
    CHECK(r.source_as.entries[0].other == 3000);
}

TEST_CASE("space-saving: exact below k, error bounds above it, no key listed twice") {
    space_saving<uint32_t, as_hash> s(16);
    for (uint32_t k = 1; k <= 10; ++k) s.add(k, k, 2 * k);
    REQUIRE(s.entries().size() == 10);
    CHECK(s.floor() == 0);
    for (const auto& e : s.entries()) {
        CHECK(e.count == e.key);
        CHECK(e.other == 2 * e.key);
        CHECK(e.error == 0);
    }

    // A skewed stream over 300 keys, with weights: the bounds hold for every listed key, and
    // every key heavier than total / k is listed.
    s.clear();
    std::mt19937 rng(42);
    std::map<uint32_t, uint64_t> truth;
    uint64_t total = 0;
    for (int i = 0; i < 20000; ++i) {
        const uint32_t key = static_cast<uint32_t>(std::min<double>(299, std::floor(std::exponential_distribution<>(0.05)(rng))));
        const uint64_t weight = 1 + rng() % 3;
        truth[key] += weight;
        total += weight;
        s.add(key, weight, 0);
    }
    CHECK(s.total() == total);
    REQUIRE(s.entries().size() == 16);
    std::set<uint32_t> listed;
    for (const auto& e : s.entries()) {
        CHECK(listed.insert(e.key).second);
        CHECK(e.count >= truth[e.key]);
        CHECK(e.count - e.error <= truth[e.key]);
        CHECK(e.error <= total / 16);
    }
    CHECK(s.floor() <= total / 16);
    for (const auto& [key, weight] : truth) {
        if (weight > total / 16) CHECK(listed.count(key) == 1);
    }
}

TEST_CASE("traffic tally: merged summaries of two workers keep the bounds") {
    fed_worker w1({.top_k = 4, .sample_every = 1}), w2({.top_k = 4, .sample_every = 1});
    std::map<uint32_t, uint64_t> truth;
    uint64_t total = 0;
    uint32_t seq1 = 0, seq2 = 0;
    // Worker 1 sees AS 1..8 with AS 1 heavy; worker 2 AS 5..12 with AS 12 heavy.
    for (int round = 0; round < 30; ++round) {
        for (uint16_t as = 1; as <= 12; ++as) {
            const bool first = as <= 8;
            const int n = (as == 1 || as == 12) ? 6 : 1;
            for (int i = 0; i < n; ++i) {
                auto d = v5_builder({.sequence = first ? seq1++ : seq2++}).flow({.src = "10.0.0.1", .src_as = as}).build();
                (first ? w1 : w2).send(endpoint(first ? "192.0.2.1" : "192.0.2.2", 2055), d, 1);
                ++truth[as];
                ++total;
            }
        }
    }
    const traffic_report r = read_now({&w1.tally, &w2.tally});
    CHECK(r.source_as.total == total);
    CHECK(r.source_as.entries[0].count >= r.source_as.entries[1].count);
    std::set<uint32_t> listed;
    for (const auto& e : r.source_as.entries) {
        listed.insert(e.key);
        CHECK(e.count >= truth[e.key]);
        CHECK(e.count - e.error <= truth[e.key]);
    }
    CHECK(listed.count(1) == 1);
    CHECK(listed.count(12) == 1);
    REQUIRE(r.exporters.size() == 2);
    CHECK(r.exporters[0].records + r.exporters[1].records == total);
}

TEST_CASE("traffic tally: past the exact budget of a second, 1 in n records with weight n") {
    fed_worker w({.exact_per_second = 2, .sample_every = 4});
    const auto a = endpoint("192.0.2.1", 2055);
    v5_builder b{test::v5_header{}};
    for (int i = 0; i < 10; ++i) b.flow({.src = "10.0.0.1", .octets = 10, .src_as = 7});
    w.send(a, b.build(), 5'000);  // 2 exact, then records 6 and 10 of the rest: 2 + 2 * 4
    traffic_report r = read_now({&w.tally});
    REQUIRE(r.source_as.entries.size() == 1);
    CHECK(r.source_as.entries[0].count == 10);
    CHECK(r.source_as.entries[0].other == 100);
    CHECK(r.sample_every == 4);
    CHECK(r.exporters[0].records == 10);  // exporters are always exact
    // A new second: the budget again.
    w.send(a, v5_builder({.sequence = 10}).flow({.src = "10.0.0.1", .octets = 10, .src_as = 7}).build(), 6'000);
    r = read_now({&w.tally});
    CHECK(r.source_as.entries[0].count == 11);
}
