// Template state per stream (exporter address, port, version, domain): independence of streams,
// lifetime with explicit time, and the bounds on streams and templates with LRU eviction.
#include <catch2/catch.hpp>

#include <memory>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "v9_builder.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/template_cache.hpp"

using namespace ipfix;
using namespace ipfix::test;
using proto::malformed;

namespace {

std::vector<uint8_t> define_256(std::vector<field> fields, uint32_t domain = 0) {
    return ipfix_builder({.domain = domain}).template_set().template_record(256, fields).build();
}

// One data record for 256 holding a single 4-byte value.
std::vector<uint8_t> data_256(uint32_t value, uint32_t domain = 0) {
    return ipfix_builder({.domain = domain}).data_set(256).u32(value).build();
}

}  // namespace

TEST_CASE("templates: the same id from two exporters, ports or domains are independent", "[cache]") {
    decode_session s;
    const auto a = endpoint("192.0.2.1", 4739);
    const proto::exporter_endpoint other = GENERATE(endpoint("192.0.2.2", 4739), endpoint("192.0.2.1", 4740),
                                                    endpoint("2001:db8::1", 4739));
    // Exporter a: 256 = sourceIPv4Address; the other: 256 = bgpSourceAsNumber + 2 bytes more.
    REQUIRE(s.feed(define_256({{8, 4}}), 0, a));
    REQUIRE(s.feed(define_256({{16, 4}, {11, 2}}), 0, other));
    CHECK(s.counters().templates_learned == 2);
    CHECK(s.counters().templates_redefined == 0);
    CHECK(s.dec.templates().stream_count() == 2);
    CHECK(s.dec.templates().template_count() == 2);

    REQUIRE(s.feed(data_256(0x0A000001), 0, a));
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].source_address().to_string() == "10.0.0.1");

    REQUIRE(s.feed(ipfix_builder().data_set(256).u32(64777).u16(80).build(), 0, other));
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].source_as() == 64777u);
    CHECK(s.msg.records[0].source_address().empty());
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("templates: observation domains of one exporter are independent", "[cache]") {
    decode_session s;
    REQUIRE(s.feed(define_256({{8, 4}}, 1)));
    REQUIRE(s.feed(data_256(0x0A000001, 2)));  // domain 2 never defined 256
    CHECK(s.msg.records.empty());
    CHECK(malformed_summary(s.counters()) == "unknown_template=1");
    REQUIRE(s.feed(data_256(0x0A000001, 1)));
    CHECK(s.msg.records.size() == 1);
    CHECK(s.dec.templates().stream_count() == 2);
}

TEST_CASE("templates: v9 and IPFIX from the same exporter and domain are different streams", "[cache]") {
    decode_session s;
    REQUIRE(s.feed(v9_builder().template_flowset().template_record(256, {{12, 4}}).build()));
    REQUIRE(s.feed(data_256(0x0A000001)));
    CHECK(s.msg.records.empty());
    CHECK(s.counters()[malformed::unknown_template] == 1);
    REQUIRE(s.feed(v9_builder().data_flowset(256).record().ipv4("10.0.0.2").build()));
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].destination_address().to_string() == "10.0.0.2");
}

TEST_CASE("templates: a template expires after its lifetime, explicit time", "[cache][lifetime]") {
    proto::decoder_config cfg;
    cfg.templates.lifetime_ms = 1000;
    decode_session s(cfg);
    REQUIRE(s.feed(define_256({{8, 4}}), 10000));

    SECTION("still alive at exactly the lifetime") {
        REQUIRE(s.feed(data_256(1), 11000));
        CHECK(s.msg.records.size() == 1);
        CHECK(s.counters().templates_expired == 0);
    }
    SECTION("expired one millisecond later") {
        REQUIRE(s.feed(data_256(1), 11001));
        CHECK(s.msg.records.empty());
        CHECK(s.counters().templates_expired == 1);
        CHECK(malformed_summary(s.counters()) == "unknown_template=1");
        CHECK(s.dec.templates().template_count() == 0);
    }
    SECTION("a refresh extends the lifetime") {
        REQUIRE(s.feed(define_256({{8, 4}}), 10800));
        CHECK(s.counters().templates_refreshed == 1);
        REQUIRE(s.feed(data_256(1), 11700));
        CHECK(s.msg.records.size() == 1);
        REQUIRE(s.feed(data_256(1), 11800));
        CHECK(s.msg.records.size() == 1);
        REQUIRE(s.feed(data_256(1), 11801));
        CHECK(s.msg.records.empty());
        CHECK(s.counters().templates_expired == 1);
    }
    SECTION("data alone does not extend it") {
        REQUIRE(s.feed(data_256(1), 10900));
        CHECK(s.msg.records.size() == 1);
        REQUIRE(s.feed(data_256(1), 11001));
        CHECK(s.msg.records.empty());
    }
    SECTION("a redefinition restarts it") {
        REQUIRE(s.feed(define_256({{12, 4}}), 10900));
        REQUIRE(s.feed(data_256(1), 11900));
        REQUIRE(s.msg.records.size() == 1);
        CHECK(s.msg.records[0].destination_address().to_string() == "0.0.0.1");
    }
    SECTION("a sweep removes expired templates of every stream") {
        REQUIRE(s.feed(define_256({{8, 4}}), 10500, endpoint("192.0.2.9")));
        proto::decode_counters c;
        CHECK(s.dec.templates().expire(11001, c) == 1);
        CHECK(c.templates_expired == 1);
        CHECK(s.dec.templates().template_count() == 1);
        CHECK(s.dec.templates().expire(11501, c) == 1);
        CHECK(c.templates_expired == 2);
        CHECK(s.dec.templates().template_count() == 0);
        CHECK(s.dec.templates().stream_count() == 2);
    }
}

TEST_CASE("templates: the stream bound evicts the least recently used stream", "[cache][bounds]") {
    proto::decoder_config cfg;
    cfg.templates.max_streams = 2;
    decode_session s(cfg);
    const auto a = endpoint("192.0.2.1"), b = endpoint("192.0.2.2"), c = endpoint("192.0.2.3");
    REQUIRE(s.feed(define_256({{8, 4}}), 0, a));
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(256, {{8, 4}}).template_record(257, {{12, 4}})
                       .build(), 1, b));
    REQUIRE(s.feed(data_256(1), 2, a));  // a is now the most recently used
    REQUIRE(s.feed(define_256({{8, 4}}), 3, c));  // evicts b and its two templates
    CHECK(s.counters().streams_evicted == 1);
    CHECK(s.counters().templates_evicted == 2);
    CHECK(s.dec.templates().stream_count() == 2);
    CHECK(s.dec.templates().template_count() == 2);

    REQUIRE(s.feed(data_256(1), 4, a));
    CHECK(s.msg.records.size() == 1);
    REQUIRE(s.feed(data_256(1), 5, b));  // b comes back as a new stream (evicting c), without templates
    CHECK(s.msg.records.empty());
    CHECK(s.counters()[malformed::unknown_template] == 1);
    CHECK(s.counters().streams_evicted == 2);
}

TEST_CASE("templates: the template bound evicts the least recently sent template", "[cache][bounds]") {
    proto::decoder_config cfg;
    cfg.templates.max_templates = 3;
    decode_session s(cfg);
    const auto a = endpoint("192.0.2.1"), b = endpoint("192.0.2.2");
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(256, {{8, 4}}).build(), 0, a));
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(257, {{8, 4}}).build(), 1, a));
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(300, {{8, 4}}).build(), 2, b));
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(256, {{8, 4}}).build(), 3, a));  // refresh
    // A fourth template: eviction takes from the least recently used stream first, b (its 300).
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(258, {{8, 4}}).build(), 4, a));
    CHECK(s.counters().templates_evicted == 1);
    CHECK(s.dec.templates().template_count() == 3);
    REQUIRE(s.feed(ipfix_builder().data_set(300).u32(1).build(), 5, b));
    CHECK(s.msg.records.empty());

    // Now only a has templates: its least recently sent (257) goes, never the one just learned.
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(259, {{8, 4}}).build(), 6, a));
    CHECK(s.counters().templates_evicted == 2);
    ipfix_builder data;
    data.data_set(256).u32(1).data_set(257).u32(2).data_set(258).u32(3).data_set(259).u32(4);
    REQUIRE(s.feed(data.build(), 7, a));
    REQUIRE(s.msg.records.size() == 3);
    CHECK(s.msg.records[0].tmpl->id == 256);
    CHECK(s.msg.records[1].tmpl->id == 258);
    CHECK(s.msg.records[2].tmpl->id == 259);
}

TEST_CASE("templates: the cache API directly", "[cache]") {
    proto::template_cache cache({.lifetime_ms = 100, .max_streams = 4, .max_templates = 8});
    proto::decode_counters c;
    proto::stream_key key{endpoint(), 7, proto::protocol_version::ipfix};
    proto::stream_state& st = cache.stream(key, 0, c);
    CHECK(st.key == key);
    CHECK(st.messages == 1);
    CHECK(&cache.stream(key, 1, c) == &st);
    CHECK(st.messages == 2);
    CHECK(st.last_seen_ms == 1);

    auto make = [](uint16_t id, bool options) {
        auto t = std::make_shared<proto::template_def>();
        t->id = id;
        t->options = options;
        t->scope_count = options ? 1 : 0;
        t->fields = {{8, 4, 0, options}};
        t->wire = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0, 1, 0, 8, 0, 4};
        proto::finalize_template(*t);
        return std::shared_ptr<const proto::template_def>(t);
    };
    CHECK(cache.learn(st, make(256, false), 10, c) == proto::learn_result::learned);
    CHECK(cache.learn(st, make(257, false), 10, c) == proto::learn_result::learned);
    CHECK(cache.learn(st, make(258, true), 10, c) == proto::learn_result::learned);
    CHECK(cache.learn(st, make(256, false), 20, c) == proto::learn_result::redefined);
    CHECK(cache.template_count() == 3);

    const std::vector<uint8_t> wire_256 = {1, 0, 0, 1, 0, 8, 0, 4};
    CHECK(cache.refresh(st, 256, wire_256, 50, c) != nullptr);
    CHECK(cache.refresh(st, 256, std::vector<uint8_t>{1, 0, 0, 1, 0, 8, 0, 8}, 50, c) == nullptr);
    CHECK(cache.refresh(st, 999, wire_256, 50, c) == nullptr);
    CHECK(c.templates_refreshed == 1);

    CHECK(cache.find(st, 256, 150, c) != nullptr);   // refreshed at 50
    CHECK(cache.find(st, 257, 110, c) != nullptr);   // learned at 10: exactly the lifetime
    CHECK(cache.find(st, 257, 111, c) == nullptr);   // ... and expired past it
    CHECK(c.templates_expired == 1);
    CHECK(cache.withdraw_all(st, true, c) == 1);
    CHECK(cache.withdraw(st, 256, c));
    CHECK_FALSE(cache.withdraw(st, 256, c));
    CHECK(c.templates_withdrawn == 2);
    CHECK(cache.template_count() == 0);
    cache.release_retired();
}

TEST_CASE("templates: what decoding a data set reads is that of the template stored now", "[cache]") {
    proto::template_cache cache({.lifetime_ms = 1000, .max_streams = 4, .max_templates = 64});
    proto::decode_counters c;
    proto::stream_state& st = cache.stream({endpoint(), 0, proto::protocol_version::ipfix}, 0, c);
    auto make = [](uint16_t id, std::vector<proto::field_spec> fields, bool options = false) {
        auto t = std::make_shared<proto::template_def>();
        t->id = id;
        t->options = options;
        t->scope_count = options ? 1 : 0;
        t->fields = std::move(fields);
        if (options) t->fields[0].is_scope = true;
        REQUIRE(proto::finalize_template(*t));
        return std::shared_ptr<const proto::template_def>(t);
    };
    auto check_plan = [&](uint16_t id, const proto::template_def* want) {
        CAPTURE(id);
        const proto::data_set_plan* p = cache.find_plan(st, id, 1, c);
        REQUIRE(p != nullptr);
        CHECK(p->def == want);
        CHECK(cache.find(st, id, 1, c) == want);
        CHECK(p->variable == want->variable);
        CHECK(p->options == want->options);
        CHECK(p->min_record_length == want->min_record_length);
        CHECK(p->record_length_reciprocal == want->record_length_reciprocal);
        CHECK(p->fixed_locs == want->fixed_locs.data());
    };

    const auto first = make(256, {{8, 4}, {12, 4}});
    cache.learn(st, first, 0, c);
    check_plan(256, first.get());
    // Redefined: variable-length options records now.
    const auto second = make(256, {{8, 4}, {82, proto::variable_length}}, true);
    REQUIRE(cache.learn(st, second, 0, c) == proto::learn_result::redefined);
    check_plan(256, second.get());
    CHECK(cache.find_plan(st, 257, 1, c) == nullptr);

    // Many ids in one table, then some withdrawn: entries moved up by the removal keep their own.
    std::vector<std::shared_ptr<const proto::template_def>> defs;
    for (uint16_t id = 300; id < 340; ++id) {
        defs.push_back(make(id, {{8, 4}, {7, static_cast<uint16_t>(1 + id % 5)}}));
        cache.learn(st, defs.back(), 0, c);
    }
    for (uint16_t id = 300; id < 340; id += 3) CHECK(cache.withdraw(st, id, c));
    for (uint16_t id = 300; id < 340; ++id) {
        if (id % 3 == 0) CHECK(cache.find_plan(st, id, 1, c) == nullptr);
        else check_plan(id, defs[id - 300].get());
    }
    cache.release_retired();
}

TEST_CASE("templates: install puts a stored template in with its last-seen time, share hands it out", "[cache]") {
    const auto from = endpoint("192.0.2.9", 4739);
    decode_session learnt;
    REQUIRE(learnt.feed(define_256({{8, 4}}, 7), 1000, from));
    const proto::stream_key key{from, 7, proto::protocol_version::ipfix};
    const std::shared_ptr<const proto::template_def> def = learnt.dec.templates().share(key, 256);
    REQUIRE(def != nullptr);
    CHECK(def->id == 256);
    CHECK(learnt.dec.templates().share(key, 257) == nullptr);
    CHECK(learnt.dec.templates().share({from, 8, proto::protocol_version::ipfix}, 256) == nullptr);

    // A restarted decoder: data before any template decodes once the template is installed.
    decode_session restarted(proto::decoder_config{{.lifetime_ms = 60'000}});
    REQUIRE(restarted.dec.templates().install(key, def, 1000));
    CHECK_FALSE(restarted.dec.templates().install(key, def, 2000));  // one is there: kept
    CHECK(restarted.dec.templates().stream_count() == 1);
    CHECK(restarted.dec.templates().template_count() == 1);
    CHECK(restarted.counters().templates_learned == 0);
    REQUIRE(restarted.feed(data_256(0x0A000001, 7), 30'000, from));
    REQUIRE(restarted.msg.records.size() == 1);
    CHECK(restarted.msg.records[0].source_address().to_string() == "10.0.0.1");

    // The installed last-seen time counts for expiry: 1000 + 60 s lifetime is over at 61'001.
    REQUIRE(restarted.feed(data_256(0x0A000002, 7), 61'001, from));
    CHECK(restarted.msg.records.empty());
    CHECK(restarted.counters().templates_expired == 1);
    CHECK(malformed_summary(restarted.counters()) == "unknown_template=1");
}

TEST_CASE("templates: install refuses beyond the stream and template bounds", "[cache]") {
    decode_session learnt;
    REQUIRE(learnt.feed(define_256({{8, 4}})));
    const proto::stream_key a{endpoint(), 0, proto::protocol_version::ipfix};
    const auto def = learnt.dec.templates().share(a, 256);
    REQUIRE(def != nullptr);
    proto::template_cache one_stream({.max_streams = 1});
    REQUIRE(one_stream.install(a, def, 0));
    CHECK_FALSE(one_stream.install({endpoint("192.0.2.2"), 0, proto::protocol_version::ipfix}, def, 0));
    proto::template_cache one_template({.max_templates = 1});
    REQUIRE(one_template.install(a, def, 0));
    CHECK_FALSE(one_template.install({endpoint("192.0.2.2"), 0, proto::protocol_version::ipfix}, def, 0));
    CHECK(one_template.template_count() == 1);
    CHECK_FALSE(one_template.install(a, nullptr, 0));
}
