// Export sequence tracking per stream: IPFIX counts data records, v9 export packets, v5 flows.
// Gaps (with the number of units lost) and late messages are counted, per stream and in total.
#include <catch2/catch.hpp>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "v5_builder.hpp"
#include "v9_builder.hpp"
#include "ipfix/proto/decoder.hpp"

using namespace ipfix;
using namespace ipfix::test;

namespace {

// An IPFIX message with `records` one-field data records of template 256 (defined in each).
std::vector<uint8_t> ipfix_msg(uint32_t sequence, int records, uint32_t domain = 0) {
    ipfix_builder b({.sequence = sequence, .domain = domain});
    b.template_set().template_record(256, {{8, 4}});
    if (records > 0) {
        b.data_set(256);
        for (int i = 0; i < records; ++i) b.u32(static_cast<uint32_t>(i));
    }
    return b.build();
}

std::vector<uint8_t> v9_msg(uint32_t sequence, int records) {
    v9_builder b({.sequence = sequence});
    b.template_flowset().template_record(256, {{8, 4}});
    b.data_flowset(256);
    for (int i = 0; i < records; ++i) b.record().u32(static_cast<uint32_t>(i));
    return b.build();
}

std::vector<uint8_t> v5_msg(uint32_t sequence, int flows) {
    v5_builder b({.sequence = sequence});
    for (int i = 0; i < flows; ++i) b.flow({.src = "10.0.0.1"});
    return b.build();
}

const proto::sequence_state& sequence_of(const proto::decoder& d, const proto::stream_key& key) {
    const proto::sequence_state* found = nullptr;
    d.templates().for_each_stream([&](const proto::stream_state& st) {
        if (st.key == key) found = &st.sequence;
    });
    REQUIRE(found != nullptr);
    return *found;
}

}  // namespace

TEST_CASE("sequence: IPFIX counts data records", "[sequence]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_msg(0, 3)));
    REQUIRE(s.feed(ipfix_msg(3, 2)));   // expected
    REQUIRE(s.feed(ipfix_msg(5, 0)));   // template only: does not advance
    REQUIRE(s.feed(ipfix_msg(5, 1)));
    CHECK(s.counters().sequence_gaps == 0);
    CHECK(s.counters().sequence_reordered == 0);
    const proto::sequence_state& q = sequence_of(s.dec, s.msg.stream);
    CHECK(q.valid);
    CHECK(q.next == 6u);
}

TEST_CASE("sequence: IPFIX missingMessage counts the gap and the records lost", "[sequence][fault]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_msg(0, 3)));
    REQUIRE(s.feed(ipfix_msg(10, 2)));  // 3..9 missing: 7 records
    CHECK(s.counters().sequence_gaps == 1);
    CHECK(s.counters().sequence_lost == 7);
    CHECK(s.counters().sequence_reordered == 0);
    REQUIRE(s.feed(ipfix_msg(12, 1)));
    REQUIRE(s.feed(ipfix_msg(20, 1)));  // 13..19 missing: 7 more
    CHECK(s.counters().sequence_gaps == 2);
    CHECK(s.counters().sequence_lost == 14);
    const proto::sequence_state& q = sequence_of(s.dec, s.msg.stream);
    CHECK(q.gaps == 2);
    CHECK(q.lost == 14);
    CHECK(q.next == 21u);
    // A gap is not a malformed message.
    CHECK(s.counters().messages_ok == 4);
}

TEST_CASE("sequence: IPFIX reorderMessages counts the late message, keeps the expectation", "[sequence][fault]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_msg(0, 2)));
    REQUIRE(s.feed(ipfix_msg(4, 2)));  // 2..3 not yet here: a gap of 2
    REQUIRE(s.feed(ipfix_msg(2, 2)));  // ... which then arrives late
    REQUIRE(s.feed(ipfix_msg(6, 1)));  // the expectation was kept at 6
    CHECK(s.counters().sequence_gaps == 1);
    CHECK(s.counters().sequence_lost == 2);
    CHECK(s.counters().sequence_reordered == 1);
    const proto::sequence_state& q = sequence_of(s.dec, s.msg.stream);
    CHECK(q.reordered == 1);
    CHECK(q.next == 7u);
}

TEST_CASE("sequence: wrap-around at 2^32 is no gap", "[sequence]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_msg(0xFFFFFFFEu, 3)));
    REQUIRE(s.feed(ipfix_msg(1, 1)));
    CHECK(s.counters().sequence_gaps == 0);
    CHECK(s.counters().sequence_reordered == 0);
    REQUIRE(s.feed(ipfix_msg(5, 1)));  // 2..4 missing across nothing special
    CHECK(s.counters().sequence_gaps == 1);
    CHECK(s.counters().sequence_lost == 3);
}

TEST_CASE("sequence: a jump far back is an exporter restart, not a reordering", "[sequence]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_msg(50000000, 1)));
    REQUIRE(s.feed(ipfix_msg(0, 1)));
    REQUIRE(s.feed(ipfix_msg(1, 1)));
    CHECK(s.counters().sequence_gaps == 0);
    CHECK(s.counters().sequence_reordered == 0);
    CHECK(s.counters().sequence_lost == 0);
}

TEST_CASE("sequence: after a data set without template the next message is not judged", "[sequence]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_msg(0, 2)));
    ipfix_builder b({.sequence = 2});
    b.data_set(256).u32(1).data_set(999).u32(1).u32(2).u32(3);  // 999: unknown, its records uncounted
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.feed(ipfix_msg(6, 1)));  // the exporter counted 1 + 3 records: no gap
    CHECK(s.counters().sequence_gaps == 0);
    CHECK(s.counters().sequence_reordered == 0);
    REQUIRE(s.feed(ipfix_msg(9, 1)));  // judged again from here: 7..8 missing
    CHECK(s.counters().sequence_gaps == 1);
    CHECK(s.counters().sequence_lost == 2);
}

TEST_CASE("sequence: streams are tracked apart (domains, exporters)", "[sequence]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_msg(0, 5, 1)));
    REQUIRE(s.feed(ipfix_msg(100, 5, 2)));
    REQUIRE(s.feed(ipfix_msg(1000, 5, 1), 0, endpoint("192.0.2.2")));
    REQUIRE(s.feed(ipfix_msg(5, 1, 1)));
    REQUIRE(s.feed(ipfix_msg(105, 1, 2)));
    REQUIRE(s.feed(ipfix_msg(1005, 1, 1), 0, endpoint("192.0.2.2")));
    CHECK(s.counters().sequence_gaps == 0);
    CHECK(s.counters().sequence_reordered == 0);
    CHECK(s.dec.templates().stream_count() == 3);
}

TEST_CASE("sequence: v9 counts export packets", "[sequence]") {
    decode_session s;
    REQUIRE(s.feed(v9_msg(0, 5)));
    REQUIRE(s.feed(v9_msg(1, 3)));
    REQUIRE(s.feed(v9_msg(2, 0)));
    CHECK(s.counters().sequence_gaps == 0);
    SECTION("missingMessage") {
        REQUIRE(s.feed(v9_msg(5, 1)));  // packets 3 and 4 lost
        CHECK(s.counters().sequence_gaps == 1);
        CHECK(s.counters().sequence_lost == 2);
        SECTION("reorderMessages") {
            REQUIRE(s.feed(v9_msg(4, 1)));
            CHECK(s.counters().sequence_reordered == 1);
            REQUIRE(s.feed(v9_msg(6, 1)));
            CHECK(s.counters().sequence_gaps == 1);
            CHECK(s.counters().sequence_reordered == 1);
        }
    }
}

TEST_CASE("sequence: v5 counts flows", "[sequence]") {
    decode_session s;
    REQUIRE(s.feed(v5_msg(0, 2)));
    REQUIRE(s.feed(v5_msg(2, 3)));
    CHECK(s.counters().sequence_gaps == 0);
    SECTION("missingMessage") {
        REQUIRE(s.feed(v5_msg(30, 1)));  // flows 5..29 lost
        CHECK(s.counters().sequence_gaps == 1);
        CHECK(s.counters().sequence_lost == 25);
    }
    SECTION("reorderMessages") {
        REQUIRE(s.feed(v5_msg(1, 1)));
        CHECK(s.counters().sequence_reordered == 1);
        CHECK(s.counters().sequence_gaps == 0);
    }
}
