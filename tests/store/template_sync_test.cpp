// The data path's side of the store: a worker pushes its template changes into its queue
// (refreshes thinned out), the control thread's tick writes them, a restarted worker gets the
// stored templates installed and decodes data that comes without them.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "temp_dir.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix/store/template_sync.hpp"

using namespace ipfix;
using namespace ipfix::test;

namespace {

struct null_sink : pipeline::output_sink {
    size_t datagrams = 0;
    void emit(size_t, std::span<const uint8_t>) override { ++datagrams; }
};

const proto::exporter_endpoint router = endpoint("192.0.2.1", 4739);
const proto::stream_key stream{router, 1, proto::protocol_version::ipfix};

std::vector<uint8_t> templates() {
    return ipfix_builder({.domain = 1})
        .template_set()
        .template_record(256, {{8, 4}, {12, 4}})
        .options_template_set()
        .options_template_record(258, 1, {{149, 4}, {41, 8}})
        .build();
}

std::vector<uint8_t> data() {
    return ipfix_builder({.domain = 1}).data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2").build();
}

std::unique_ptr<store::template_sync> open_sync(const std::string& path, uint64_t now_ms, std::ostream& log,
                                                uint32_t workers = 1) {
    config::daemon_config c;
    c.store.path = path;
    c.performance.workers = workers;
    c.templates.lifetime_seconds = 600;
    return store::template_sync::open(c, now_ms, log);
}

std::string stored(const std::string& path) {
    auto s = store::template_store::open(path, store::template_store::mode::read_only);
    std::string out;
    for (const auto& t : s->read_all()) out += std::to_string(t.id) + "@" + std::to_string(t.last_seen_ms) + " ";
    return out;
}

}  // namespace

TEST_CASE("sync: learnt, refreshed and withdrawn templates reach the store; a restart decodes data at once", "[store][sync]") {
    temp_dir dir;
    const config::daemon_config cfg;
    null_sink sink;
    std::ostringstream log;
    {
        auto sync = open_sync(dir.str(), 1'000'000, log);
        REQUIRE(sync != nullptr);
        CHECK(log.str() == "ipfix-enricher: template store " + dir.str() + ": 0 templates loaded, 0 expired\n");
        pipeline::flow_worker w(cfg, nullptr);
        CHECK(sync->attach(0, w) == 0);

        w.process(router, templates(), 1'000'000, sink);
        sync->tick(1'000'500, log);
        CHECK(stored(dir.str()) == "256@1000000 258@1000000 ");
        CHECK(sync->counters().changes == 2);

        // Re-sent 10 s later: within the refresh interval (lifetime/4 capped at 60 s), nothing new.
        w.process(router, templates(), 1'010'000, sink);
        sync->tick(1'010'500, log);
        CHECK(sync->counters().changes == 2);
        // 61 s after it was learnt: the refresh goes through with the new time.
        w.process(router, templates(), 1'061'000, sink);
        sync->tick(1'061'500, log);
        CHECK(sync->counters().changes == 4);
        CHECK(stored(dir.str()) == "256@1061000 258@1061000 ");

        // Withdraw all options templates: 258 leaves, 256 stays.
        w.process(router, ipfix_builder({.domain = 1}).options_template_set().withdrawal(3).build(), 1'062'000, sink);
        sync->tick(1'062'500, log);
        CHECK(stored(dir.str()) == "256@1061000 ");
        CHECK(sync->counters().queue_drops == 0);
    }
    // Restart, two workers: both get the template; data alone decodes on either.
    auto sync = open_sync(dir.str(), 1'100'000, log, 2);
    REQUIRE(sync != nullptr);
    CHECK(sync->loaded() == 1);
    for (size_t i = 0; i < 2; ++i) {
        pipeline::flow_worker w(cfg, nullptr);
        pipeline::record_tap tap(1);
        tap.listen(true);
        w.tap_records(&tap);
        CHECK(sync->attach(i, w) == 1);
        w.process(router, data(), 1'100'000, sink);
        w.flush(sink);
        CHECK(w.decode_counters().records == 1);
        CHECK(w.decode_counters().malformed_total() == 0);
        // The tail and retention get the record too: the tap's own decoder has the template.
        size_t tapped = 0;
        tap.drain([&](const pipeline::flow_summary& s) { tapped += s.destination.to_string() == "10.0.0.2"; });
        CHECK(tapped == 1);
        CHECK(tap.unmatched() == 0);
    }
    CHECK(sync->counters().installed == 2);

    // Without the store the same data is not decodable: what the test above proves is real.
    pipeline::flow_worker fresh(cfg, nullptr);
    fresh.process(router, data(), 1'100'000, sink);
    CHECK(fresh.decode_counters().records == 0);
}

TEST_CASE("sync: an individual withdrawal, and expiry while running", "[store][sync]") {
    temp_dir dir;
    const config::daemon_config cfg;
    null_sink sink;
    std::ostringstream log;
    auto sync = open_sync(dir.str(), 0, log);
    REQUIRE(sync != nullptr);
    pipeline::flow_worker w(cfg, nullptr);
    sync->attach(0, w);
    w.process(router, templates(), 1000, sink);
    w.process(router, ipfix_builder({.domain = 1}).template_set().withdrawal(256).build(), 2000, sink);
    sync->tick(2000, log);
    CHECK(stored(dir.str()) == "258@1000 ");
    sync->tick(601'000, log);  // lifetime 600 s: still there at exactly 600 s
    CHECK(stored(dir.str()) == "258@1000 ");
    sync->tick(601'001, log);
    CHECK(stored(dir.str()) == "");
    CHECK(sync->store().counters().expired == 1);
}

TEST_CASE("sync: a full queue drops changes, counted, and the store catches up on the next refresh", "[store][sync]") {
    pipeline::template_change_queue q(2, 1000);
    for (int i = 0; i < 5; ++i) q.push(pipeline::template_change{});
    CHECK(q.dropped() == 3);
    pipeline::template_change c;
    CHECK(q.pop(c));
    CHECK(q.pop(c));
    CHECK_FALSE(q.pop(c));
    // Refreshes of one template: one per interval.
    CHECK(q.refresh_due(stream, 256, 0));
    CHECK_FALSE(q.refresh_due(stream, 256, 999));
    CHECK(q.refresh_due(stream, 257, 999));
    CHECK(q.refresh_due(stream, 256, 1000));
    q.defined(stream, 256, 5000);
    CHECK_FALSE(q.refresh_due(stream, 256, 5500));
}

TEST_CASE("sync: a store that cannot be used is logged and the daemon goes on without it", "[store][sync]") {
    temp_dir dir;
    std::ofstream(dir.str("junk")) << "x";
    std::ostringstream log;
    CHECK(open_sync(dir.str(), 0, log) == nullptr);
    CHECK(log.str() == "ipfix-enricher: template store " + dir.str() +
                           ": holds files but no RocksDB database (no CURRENT file); refusing to use it; forwarding "
                           "without it (templates will not survive a restart)\n");
    config::daemon_config off;
    off.store.enabled = false;
    CHECK(store::template_sync::open(off, 0, log) == nullptr);
}
