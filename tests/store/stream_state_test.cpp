// Output domains and sequence numbers across a restart: the registry's state goes into the
// template store's database on tick and comes back into a fresh registry at open; stored bytes
// that do not decode are skipped, old streams expire, and collectors are matched by name.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <array>
#include <sstream>

#include "temp_dir.hpp"
#include "ipfix/store/stream_state_codec.hpp"
#include "ipfix/store/stream_state_sync.hpp"

using namespace ipfix;

namespace {

const proto::stream_key stream_a{{*proto::ip_address::parse("192.0.2.1"), 4739}, 7, proto::protocol_version::ipfix};
const proto::stream_key stream_b{{*proto::ip_address::parse("2001:db8::2"), 2055}, 7, proto::protocol_version::netflow_v9};

config::daemon_config two_collectors() {
    config::daemon_config c;
    c.templates.lifetime_seconds = 600;
    config::collector_config one;
    one.address = *proto::ip_address::parse("127.0.0.1");
    one.port = 2056;
    config::collector_config two = one;
    two.port = 2057;
    two.version = config::output_version::ipfix;
    c.forwarding.collectors = {one, two};
    return c;
}

}  // namespace

TEST_CASE("streamStateCodecRoundTripsAndRefusesBadBytes", "[store]") {
    store::stored_stream_state s{stream_b, 9, 1234567890123, {{"udp:127.0.0.1:2056 same own", 42}, {"x", 0xFFFFFFFF}}};
    const std::string key = store::encode_stream_state_key(s.stream);
    const std::string value = store::encode_stream_state_value(s);
    const auto r = store::decode_stream_state(key, value);
    REQUIRE(r.value);
    CHECK(r.value->stream == s.stream);
    CHECK(r.value->domain == 9);
    CHECK(r.value->last_ms == 1234567890123);
    CHECK(r.value->sequences == s.sequences);
    CHECK(key[0] == 'o');
    // Every shorter value ends inside something; a longer one has bytes after the end.
    for (size_t n = 0; n < value.size(); ++n) CHECK_FALSE(store::decode_stream_state(key, value.substr(0, n)).value);
    CHECK(store::decode_stream_state(key, value + "z").error == "bytes after the last collector");
    std::string bad_key = key;
    bad_key[20] = 5;
    CHECK(store::decode_stream_state(bad_key, value).error == "bad protocol version in the key");
    CHECK_FALSE(store::decode_stream_state(key.substr(1), value).value);
}

TEST_CASE("collectorNamesSayWhatMakesTheirOutput", "[store]") {
    auto c = two_collectors().forwarding.collectors;
    CHECK(store::stream_state_collector_name(c[0]) == "udp:127.0.0.1:2056 same own");
    CHECK(store::stream_state_collector_name(c[1]) == "udp:127.0.0.1:2057 ipfix own");
    c[0].address = *proto::ip_address::parse("::1");
    c[0].transport = config::collector_transport::tcp;
    c[0].source_address = config::source_address_mode::exporter;
    CHECK(store::stream_state_collector_name(c[0]) == "tcp:[::1]:2056 same exporter");
}

TEST_CASE("streamStateSurvivesReopenAndExpires", "[store]") {
    test::temp_dir dir;
    config::daemon_config c = two_collectors();
    std::ostringstream log;
    {
        auto db = store::template_store::open(dir.str());
        mediate::stream_registry registry(2, 8);
        auto sync = store::stream_state_sync::open(*db, c, registry, 1'000'000, log);
        REQUIRE(sync);
        CHECK(sync->counters().restored == 0);
        auto* a = registry.acquire(stream_a);
        auto* b = registry.acquire(stream_b);
        REQUIRE((a && b));
        CHECK(a->domain == 7);
        CHECK(b->domain == 8);
        a->sequences[0] = 100;
        a->sequences[1] = 2900;
        a->last_ms = 1'000'000;
        b->sequences[1] = 5;
        b->last_ms = 1'500'000;
        sync->tick(log);
        CHECK(sync->counters().written == 2);
        sync->tick(log);  // nothing changed
        CHECK(sync->counters().written == 2);
        a->sequences[1] = 2901;
        sync->tick(log);
        CHECK(sync->counters().written == 3);
        // Bytes that are not a stream state, in the same column family.
        std::string error;
        auto* family = db->column_family("output_streams", error);
        REQUIRE(family);
        REQUIRE(db->db().Put(rocksdb::WriteOptions(), family, "o-not-a-key", "zz").ok());
    }
    SECTION("a restart within the lifetime restores both, matched by collector name") {
        // The collectors' order changed: sequences follow the names, not the positions.
        std::swap(c.forwarding.collectors[0], c.forwarding.collectors[1]);
        auto db = store::template_store::open(dir.str());
        mediate::stream_registry registry(2, 8);
        auto sync = store::stream_state_sync::open(*db, c, registry, 1'600'000, log);
        REQUIRE(sync);
        CHECK(sync->counters().restored == 2);
        CHECK(sync->counters().corrupt_skipped == 1);
        auto* a = registry.acquire(stream_a);
        auto* b = registry.acquire(stream_b);
        REQUIRE(registry.size() == 2);
        CHECK(a->domain == 7);
        CHECK(a->sequences[0].load() == 2901);
        CHECK(a->sequences[1].load() == 100);
        CHECK(b->domain == 8);
        CHECK(b->sequences[0].load() == 5);
        CHECK(a->last_ms.load() == 1'000'000);
        // A new stream with input domain 7 does not take a restored domain.
        auto* n = registry.acquire({{*proto::ip_address::parse("192.0.2.3"), 4739}, 7, proto::protocol_version::ipfix});
        REQUIRE(n);
        CHECK(n->domain == 9);
        CHECK(log.str().find("2 output stream(s) continue their domains and sequence numbers, 1 unreadable skipped") !=
              std::string::npos);
    }
    SECTION("past the lifetime the old stream expires and is removed") {
        {
            auto db = store::template_store::open(dir.str());
            mediate::stream_registry registry(2, 8);
            auto sync = store::stream_state_sync::open(*db, c, registry, 1'000'000 + 600'001, log);
            REQUIRE(sync);
            CHECK(sync->counters().restored == 1);
            CHECK(sync->counters().expired == 1);
            REQUIRE(registry.size() == 1);
            CHECK(registry.at(0).stream == stream_b);
        }
        auto db = store::template_store::open(dir.str());
        mediate::stream_registry registry(2, 8);
        auto sync = store::stream_state_sync::open(*db, c, registry, 1'000'000 + 600'001, log);
        CHECK(sync->counters().restored == 1);
        CHECK(sync->counters().expired == 0);        // removed the first time
        CHECK(sync->counters().corrupt_skipped == 0);
    }
}
