// decode_counters: reason names, summing, and one table proving that every malformed reason
// can be produced by a message (each reason also has its own fault test per version).
#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <string>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "v5_builder.hpp"
#include "v9_builder.hpp"
#include "ipfix/proto/decode_counters.hpp"

using namespace ipfix;
using namespace ipfix::test;
using proto::malformed;

TEST_CASE("decode_counters: every reason has its own name", "[counters]") {
    std::set<std::string> names;
    for (size_t i = 0; i < proto::malformed_count; ++i) {
        const std::string name(proto::to_string(static_cast<malformed>(i)));
        CHECK(name != "unknown");
        names.insert(name);
    }
    CHECK(names.size() == proto::malformed_count);
}

TEST_CASE("decode_counters: += sums every counter", "[counters]") {
    proto::decode_counters a, b;
    a.messages = 1;
    a.sequence_lost = 5;
    a[malformed::record_past_set] = 2;
    b.messages = 2;
    b.padding_bytes = 3;
    b[malformed::record_past_set] = 1;
    b[malformed::v5_truncated] = 4;
    a += b;
    CHECK(a.messages == 3);
    CHECK(a.sequence_lost == 5);
    CHECK(a.padding_bytes == 3);
    CHECK(a[malformed::record_past_set] == 3);
    CHECK(a[malformed::v5_truncated] == 4);
    CHECK(a.malformed_total() == 7);
}

TEST_CASE("decode_counters: every malformed reason is reachable, alone", "[counters][fault]") {
    using bytes = std::vector<uint8_t>;
    const std::vector<std::pair<malformed, std::function<bytes()>>> cases = {
        {malformed::truncated_header, [] { return bytes{0, 10, 0}; }},
        {malformed::unsupported_version, [] { return ipfix_builder().version(7).build(); }},
        {malformed::length_mismatch, [] { return ipfix_builder().header_length(17).build(); }},
        {malformed::set_too_short, [] { return ipfix_builder().data_set(256).end_set_with_length(1).build(); }},
        {malformed::set_past_message, [] { return ipfix_builder().data_set(256).end_set_with_length(99).build(); }},
        {malformed::template_truncated, [] { return ipfix_builder().template_set().u16(256).u16(2).u32(0x00080004).build(); }},
        {malformed::template_zero_fields, [] { return v9_builder().template_flowset().u16(256).u16(0).u32(1).build(); }},
        {malformed::template_id_reserved, [] { return ipfix_builder().template_set().template_record(3, {{8, 4}}).build(); }},
        {malformed::field_length_zero,
         [] { return ipfix_builder().template_set().template_record(256, {{8, 0}, {12, 0}}).build(); }},
        {malformed::template_too_long, [] { return ipfix_builder().template_set().template_record(256, {{1, 65534}, {2, 2}}).build(); }},
        {malformed::options_scope_invalid, [] { return ipfix_builder().options_template_set().options_template_record(256, 0, {{8, 4}}).build(); }},
        {malformed::withdrawal_invalid, [] { return ipfix_builder().template_set().withdrawal(255).build(); }},
        {malformed::unknown_template, [] { return ipfix_builder().data_set(256).u32(0).build(); }},
        {malformed::record_past_set, [] {
             ipfix_builder b;
             b.template_set().template_record(256, {{82, varlen_field}});
             return b.data_set(256).u8(9).build();
         }},
        {malformed::v5_truncated, [] { return v5_builder().count(1).build(); }},
        {malformed::data_set_id_reserved, [] { return ipfix_builder().begin_set(100).u32(0).build(); }},
    };
    REQUIRE(cases.size() == proto::malformed_count);
    std::set<malformed> seen;
    for (const auto& [reason, make] : cases) {
        INFO(proto::to_string(reason));
        decode_session s;
        s.feed(make());
        CHECK(malformed_summary(s.counters()) == std::string(proto::to_string(reason)) + "=1");
        CHECK(s.msg.malformed == 1);
        seen.insert(reason);
    }
    CHECK(seen.size() == proto::malformed_count);
}
