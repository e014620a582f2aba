// The record tap: what a worker hands the tail stream and the retention store for each data
// record (every summary field from a known record), nothing while no one listens, options
// records never, and the feed giving batches only to consumers that want them.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "v5_builder.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix/pipeline/record_tap.hpp"

using namespace ipfix;
using namespace ipfix::test;

namespace {

struct null_sink : pipeline::output_sink {
    void emit(size_t, std::span<const uint8_t>) override {}
};

std::vector<pipeline::flow_summary> drained(pipeline::record_tap& tap) {
    std::vector<pipeline::flow_summary> out;
    tap.drain([&](const pipeline::flow_summary& s) { out.push_back(s); });
    return out;
}

std::vector<uint8_t> ipfix_flow() {
    return ipfix_builder({.export_time = 1700000000, .sequence = 0, .domain = 7})
        .template_set()
        .template_record(300, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 4}, {16, 2},
                               {152, 8}, {151, 4}, {10, 4}, {14, 4}})
        .options_template_set()
        .options_template_record(301, 1, {{149, 4}, {41, 8}})
        .data_set(300)
        .ipv4("10.1.2.3").ipv4("192.0.2.77").u16(51000).u16(443).u8(6).u64(123456789).u32(4321).u16(64500)
        .u64(1699999999123).u32(1700000001).u32(11).u32(12)
        .data_set(301)
        .u32(7).u64(99)
        .build();
}

// A message of 1000 records (source ports first_port.. first_port + 999) with their template.
std::vector<uint8_t> thousand_records(uint16_t first_port) {
    ipfix_builder m({.domain = 1});
    m.template_set().template_record(256, {{8, 4}, {12, 4}, {7, 2}}).data_set(256);
    for (uint16_t i = 0; i < 1000; ++i) {
        m.ipv4("10.0.0.1").ipv4("10.0.0.2").u16(static_cast<uint16_t>(first_port + i));
    }
    return m.build();
}

// A worker and the smallest tap (64 KiB), listening, with a bell.
struct belled_worker {
    config::daemon_config cfg;
    pipeline::flow_worker w{cfg, nullptr};
    pipeline::record_tap tap{1};
    pipeline::tap_bell bell;
    null_sink sink;
    belled_worker() {
        tap.ring_at_half(&bell);
        tap.listen(true);
        w.tap_records(&tap);
    }
    auto parts() { return std::tie(w, tap, bell, sink); }
};

}  // namespace

TEST_CASE("tap: a listening worker hands every field of each data record; options records never", "[tap]") {
    const config::daemon_config cfg;
    pipeline::flow_worker w(cfg, nullptr);
    pipeline::record_tap tap(16);
    w.tap_records(&tap);
    null_sink sink;
    const proto::exporter_endpoint from = endpoint("198.51.100.9", 4739);

    w.process(from, ipfix_flow(), 1'700'000'002'000, sink);
    CHECK(drained(tap).empty());  // nobody listening: nothing copied

    tap.listen(true);
    w.process(from, ipfix_flow(), 1'700'000'002'500, sink);
    CHECK(drained(tap).empty());  // pushed, not yet published: the worker's burst goes on
    w.flush(sink);
    const auto got = drained(tap);
    REQUIRE(got.size() == 1);
    const pipeline::flow_summary& s = got[0];
    CHECK(s.seen_ms == 1'700'000'002'500);
    CHECK(s.flow_start_ms == 1699999999123);
    CHECK(s.flow_end_ms == 1700000001000);
    CHECK(s.exporter.to_string() == "198.51.100.9");
    CHECK(s.exporter_port == 4739);
    CHECK(s.version == 10);
    CHECK(s.domain == 7);
    CHECK(s.template_id == 300);
    CHECK(s.source.to_string() == "10.1.2.3");
    CHECK(s.destination.to_string() == "192.0.2.77");
    CHECK(s.source_port == 51000);
    CHECK(s.destination_port == 443);
    CHECK(s.protocol == 6);
    CHECK(s.bytes == 123456789);
    CHECK(s.packets == 4321);
    CHECK(s.source_as == 64500);  // the router's, enrichment off
    CHECK(s.destination_as == 0);
    CHECK_FALSE(s.source_as_filled);
    CHECK_FALSE(s.destination_as_filled);
    CHECK(s.input_interface == 11);
    CHECK(s.output_interface == 12);
    CHECK(s.source_country == std::array<char, 2>{});
    CHECK(tap.drops() == 0);
}

TEST_CASE("tap: v5 uptime times become epoch milliseconds against the header", "[tap]") {
    const config::daemon_config cfg;
    pipeline::flow_worker w(cfg, nullptr);
    pipeline::record_tap tap(16);
    tap.listen(true);
    w.tap_records(&tap);
    null_sink sink;
    const auto pkt = v5_builder({.sys_uptime_ms = 360000, .export_time = 1700000000, .sequence = 5})
                         .flow({.src = "10.0.0.1", .dst = "10.0.0.2", .packets = 3, .octets = 180,
                                .first = 350000, .last = 359500, .src_port = 53, .dst_port = 40000,
                                .protocol = 17, .src_as = 65010, .dst_as = 65020})
                         .build();
    w.process(endpoint("192.0.2.5", 2055), pkt, 1'700'000'000'100, sink);
    w.flush(sink);
    const auto got = drained(tap);
    REQUIRE(got.size() == 1);
    CHECK(got[0].version == 5);
    CHECK(got[0].flow_start_ms == 1'699'999'990'000);
    CHECK(got[0].flow_end_ms == 1'699'999'999'500);
    CHECK(got[0].source_as == 65010);
    CHECK(got[0].destination_as == 65020);
    CHECK(got[0].bytes == 180);
    CHECK(got[0].packets == 3);
    CHECK(got[0].protocol == 17);
}

TEST_CASE("tap: a full ring drops whole datagrams, counting their records; the feed serves only who wants them",
          "[tap]") {
    // Two workers' taps of the smallest size (64 KiB): a datagram of 1000 records (16 bytes of
    // enrichment each, over 20 KiB with the payload) fits twice, not three times.
    const config::daemon_config cfg;
    pipeline::flow_worker w(cfg, nullptr);
    pipeline::record_tap a(1), b(1);
    std::vector<pipeline::record_tap*> taps{&a, &b};
    a.listen(true);
    b.listen(true);
    null_sink sink;
    w.tap_records(&a);
    for (uint16_t k = 0; k < 3; ++k) w.process(endpoint(), thousand_records(static_cast<uint16_t>(k * 1000)), 1000, sink);
    CHECK(a.drops() == 1000);
    CHECK(pipeline::record_feed::drops(taps) == 1000);

    pipeline::record_feed feed;
    bool tail_wants = false;
    std::vector<uint16_t> retained, tailed;
    feed.add({[] { return true; }, [&](std::span<const pipeline::flow_summary> batch) {
                  for (const auto& x : batch) retained.push_back(x.source_port);
              }});
    feed.add({[&] { return tail_wants; }, [&](std::span<const pipeline::flow_summary> batch) {
                  for (const auto& x : batch) tailed.push_back(x.source_port);
              }});
    CHECK(feed.poll(taps) == 2000);
    CHECK(a.listening());
    CHECK(b.listening());
    REQUIRE(retained.size() == 2000);
    CHECK(retained.front() == 0);
    CHECK(retained.back() == 1999);
    CHECK(tailed.empty());

    // Wrapped round the ring's end, still in order and whole.
    tail_wants = true;
    retained.clear();
    for (uint16_t k = 3; k < 5; ++k) w.process(endpoint(), thousand_records(static_cast<uint16_t>(k * 1000)), 1000, sink);
    CHECK(feed.poll(taps) == 2000);
    REQUIRE(tailed.size() == 2000);
    CHECK(tailed.front() == 3000);
    CHECK(tailed.back() == 4999);
    CHECK(retained == tailed);
    CHECK(a.drops() == 1000);

    pipeline::record_feed idle;
    idle.add({[] { return false; }, [](std::span<const pipeline::flow_summary>) { FAIL("not wanted"); }});
    w.process(endpoint(), thousand_records(0), 1000, sink);
    CHECK(idle.poll(taps) == 1000);  // drained all the same, so nothing stale reaches a later listener
    CHECK_FALSE(a.listening());
    CHECK_FALSE(b.listening());
}

TEST_CASE("tap: records whose template went with a dropped datagram are skipped and counted", "[tap]") {
    const config::daemon_config cfg;
    pipeline::flow_worker w(cfg, nullptr);
    pipeline::record_tap tap(1);
    w.tap_records(&tap);
    null_sink sink;
    const auto tmpl = ipfix_builder({.domain = 1}).template_set().template_record(256, {{8, 4}, {12, 4}}).build();
    const auto data = ipfix_builder({.domain = 1}).data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2").build();
    w.process(endpoint(), tmpl, 1000, sink);  // not listening: the consumer never sees the template
    tap.listen(true);
    w.process(endpoint(), data, 1000, sink);
    w.flush(sink);
    CHECK(drained(tap).empty());
    CHECK(tap.unmatched() == 1);
    w.process(endpoint(), tmpl, 2000, sink);
    w.process(endpoint(), data, 2000, sink);
    w.flush(sink);
    const auto got = drained(tap);
    REQUIRE(got.size() == 1);
    CHECK(got[0].destination.to_string() == "10.0.0.2");
    CHECK(tap.unmatched() == 1);
}

TEST_CASE("tap: the bell rings once as a push leaves the tap half full; a consumer draining at each ring loses nothing",
          "[tap]") {
    // The smallest tap (64 KiB): a datagram of 1000 records (over 26 KiB with its enrichment)
    // leaves it under half full, two leave it over half full, three do not fit.
    belled_worker b;
    auto [w, tap, bell, sink] = b.parts();
    auto drain_ports = [&tap](std::vector<uint16_t>& ports) {
        return tap.drain([&](const pipeline::flow_summary& s) { ports.push_back(s.source_port); });
    };

    w.process(endpoint(), thousand_records(0), 1000, sink);
    CHECK(tap.rings() == 0);
    CHECK_FALSE(bell.answer());
    w.process(endpoint(), thousand_records(1000), 1000, sink);
    CHECK(tap.rings() == 1);
    CHECK(bell.wait(0));
    CHECK_FALSE(bell.answer());  // answered: silent until rung again

    // Nobody drains: the third datagram overflows, dropped and counted, and the bell is not
    // rung again for it.
    w.process(endpoint(), thousand_records(2000), 1000, sink);
    CHECK(tap.drops() == 1000);
    CHECK(tap.rings() == 1);
    CHECK_FALSE(bell.answer());
    std::vector<uint16_t> ports;
    CHECK(drain_ports(ports) == 2000);

    // A consumer that drains whenever rung, as the daemon's control thread does: 100 datagrams
    // (40 times the tap) all arrive, in order, and each ring finds one or two datagrams waiting
    // (one where the entry skipped the ring's end), never a full tap.
    ports.clear();
    const uint64_t rings_before = tap.rings();
    size_t at_ring_min = SIZE_MAX, at_ring_max = 0;
    for (uint16_t k = 0; k < 100; ++k) {
        w.process(endpoint(), thousand_records(static_cast<uint16_t>(k * 1000 % 60000)), 1000, sink);
        if (bell.answer()) {
            const size_t n = drain_ports(ports);
            at_ring_min = std::min(at_ring_min, n);
            at_ring_max = std::max(at_ring_max, n);
        }
    }
    const uint64_t rung = tap.rings() - rings_before;
    CHECK(rung >= 50);
    CHECK(rung <= 100);
    CHECK(at_ring_min >= 1000);
    CHECK(at_ring_max == 2000);
    drain_ports(ports);
    REQUIRE(ports.size() == 100'000);
    for (size_t i = 0; i < ports.size(); ++i) {
        if (ports[i] != static_cast<uint16_t>(i % 1000 + i / 1000 * 1000 % 60000)) {
            FAIL("record " << i << " out of order: port " << ports[i]);
        }
    }
    CHECK(tap.drops() == 1000);  // the one overflow above, no more
    CHECK(tap.unmatched() == 0);
}

TEST_CASE("tap: pushes reach the consumer at the end of the worker's burst, or every 16 KiB within one", "[tap]") {
    // 200-record datagrams take about 5 KiB of the tap each (the payload and 16 bytes of
    // enrichment a record): the first three stay with the worker, the fourth passes 16 KiB.
    belled_worker b;
    auto [w, tap, bell, sink] = b.parts();
    auto message = [](uint16_t first_port) {
        ipfix_builder m({.domain = 1});
        m.template_set().template_record(256, {{8, 4}, {12, 4}, {7, 2}}).data_set(256);
        for (uint16_t i = 0; i < 200; ++i) m.ipv4("10.0.0.1").ipv4("10.0.0.2").u16(static_cast<uint16_t>(first_port + i));
        return m.build();
    };
    std::vector<uint16_t> ports;
    auto drain_ports = [&] { return tap.drain([&](const pipeline::flow_summary& s) { ports.push_back(s.source_port); }); };

    for (uint16_t k = 0; k < 3; ++k) w.process(endpoint(), message(static_cast<uint16_t>(k * 200)), 1000, sink);
    CHECK(drain_ports() == 0);
    w.process(endpoint(), message(600), 1000, sink);
    CHECK(drain_ports() == 800);
    w.process(endpoint(), message(800), 1000, sink);
    CHECK(drain_ports() == 0);
    w.flush(sink);
    CHECK(drain_ports() == 200);
    w.flush(sink);  // nothing new: publishes nothing, rings nothing
    CHECK(drain_ports() == 0);
    REQUIRE(ports.size() == 1000);
    for (size_t i = 0; i < ports.size(); ++i) CHECK(ports[i] == i);
    CHECK(tap.rings() == 0);  // never half full
    CHECK_FALSE(bell.answer());
    CHECK(tap.drops() == 0);
}
