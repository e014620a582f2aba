// NetFlow v9 (RFC 3954) decoding: template (0) and options template (1) flowsets, scope types,
// flowset padding, a wrong header count, and every malformed input the decoder counts for v9.
#include <catch2/catch.hpp>

#include "decode_session.hpp"
#include "v9_builder.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/ie_registry.hpp"

using namespace ipfix;
using namespace ipfix::test;
using proto::known_field;
using proto::malformed;
using proto::template_event_kind;

namespace {

// 256: src, dst, AS pair in 2 bytes, octets and packets in 4: 20-byte records.
const std::vector<field> v9_flow = {{8, 4}, {12, 4}, {16, 2}, {17, 2}, {1, 4}, {2, 4}};

v9_builder& v9_record(v9_builder& b, const char* src, const char* dst, uint16_t src_as, uint16_t dst_as,
                      uint32_t octets, uint32_t packets) {
    return b.record().ipv4(src).ipv4(dst).u16(src_as).u16(dst_as).u32(octets).u32(packets);
}

v9_builder good_start(v9_header h = {}) {
    v9_builder b(h);
    b.template_flowset().template_record(256, v9_flow);
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10).align_set(4).end_set();
    return b;
}

void check_good_record(const proto::record_view& r) {
    CHECK(r.tmpl->id == 256);
    CHECK(r.tmpl->version == proto::protocol_version::netflow_v9);
    CHECK(r.source_address().to_string() == "10.0.0.1");
    CHECK(r.destination_address().to_string() == "10.0.0.2");
    CHECK(r.source_as() == 64500u);
    CHECK(r.destination_as() == 64501u);
    CHECK(r.octets() == 1000u);
    CHECK(r.packets() == 10u);
}

}  // namespace

TEST_CASE("v9: template and data flowsets in one packet", "[v9]") {
    decode_session s;
    v9_builder b({.sys_uptime_ms = 123456, .export_time = 1700000100, .sequence = 77, .source_id = 0x01020304});
    b.template_flowset().template_record(256, v9_flow);
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10);
    v9_record(b, "10.0.0.3", "10.0.0.4", 3356, 174, 70000, 50).u8(0).u8(0).u8(0);  // padding
    const auto m = b.build();
    REQUIRE(m.size() == 20 + 4 + 4 + 24 + 4 + 40 + 3);

    REQUIRE(s.feed(m, 5, endpoint("2001:db8::9", 9995)));
    const proto::message_header& h = s.msg.header;
    CHECK(h.version == proto::protocol_version::netflow_v9);
    CHECK(h.count == 3);
    CHECK(h.sys_uptime_ms == 123456u);
    CHECK(h.export_time == 1700000100u);
    CHECK(h.sequence == 77u);
    CHECK(h.domain == 0x01020304u);
    CHECK(h.length == m.size());
    CHECK(s.msg.stream.domain == 0x01020304u);
    CHECK(s.msg.stream.version == proto::protocol_version::netflow_v9);
    CHECK(s.msg.stream.exporter == endpoint("2001:db8::9", 9995));

    REQUIRE(s.msg.template_events.size() == 1);
    CHECK(s.msg.template_events[0].kind == template_event_kind::learned);
    CHECK(s.msg.template_events[0].def->version == proto::protocol_version::netflow_v9);
    REQUIRE(s.msg.records.size() == 2);
    check_good_record(s.msg.records[0]);
    const proto::record_view& r = s.msg.records[1];
    CHECK(r.source_address().to_string() == "10.0.0.3");
    CHECK(r.destination_address().to_string() == "10.0.0.4");
    CHECK(r.source_as() == 3356u);
    CHECK(r.destination_as() == 174u);
    CHECK(r.octets() == 70000u);
    CHECK(r.packets() == 50u);
    CHECK(s.counters().records == 2);
    CHECK(s.counters().padding_bytes == 3);
    CHECK(malformed_summary(s.counters()).empty());
    CHECK(s.counters().messages_ok == 1);
}

TEST_CASE("v9: a wrong header count does not stop the flowset walk", "[v9]") {
    decode_session s;
    const uint16_t count = GENERATE(uint16_t{0}, uint16_t{1}, uint16_t{50});
    auto b = good_start();
    b.data_flowset(256);
    v9_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 3, 4);
    v9_record(b, "10.0.0.7", "10.0.0.8", 5, 6, 7, 8);
    REQUIRE(s.feed(b.count(count).build()));
    CHECK(s.msg.header.count == count);
    REQUIRE(s.msg.records.size() == 3);
    check_good_record(s.msg.records[0]);
    CHECK(s.msg.records[2].destination_address().to_string() == "10.0.0.8");
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("v9: options template flowset with scope types", "[v9][options]") {
    decode_session s;
    v9_builder b({.source_id = 3});
    // Scope: System (1) and Interface (2); options: SAMPLING_INTERVAL (34), SAMPLING_ALGORITHM (35).
    b.options_template_flowset().options_template_record(260, {{1, 4}, {2, 4}}, {{34, 4}, {35, 1}}).align_set(4);
    b.data_flowset(260).record().u32(0x0A000001).u32(7).u32(100).u8(2).align_set(4);
    const auto m = b.build();
    REQUIRE(s.feed(m));

    REQUIRE(s.msg.template_events.size() == 1);
    const proto::template_event& ev = s.msg.template_events[0];
    CHECK(ev.options);
    CHECK(ev.kind == template_event_kind::learned);
    const proto::template_def& t = *ev.def;
    CHECK(t.options);
    CHECK(t.scope_count == 2);
    REQUIRE(t.fields.size() == 4);
    // Scope fields keep the v9 scope type as id: System (1) is not octetDeltaCount (1).
    CHECK(t.fields[0] == proto::field_spec{1, 4, 0, true});
    CHECK(t.fields[1] == proto::field_spec{2, 4, 0, true});
    CHECK(t.fields[2] == proto::field_spec{34, 4, 0, false});
    CHECK(t.fields[3] == proto::field_spec{35, 1, 0, false});
    CHECK_FALSE(t.has(known_field::octets));
    CHECK_FALSE(t.has(known_field::packets));

    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.length == 13);
    CHECK(uint_at(r, 0) == 0x0A000001u);
    CHECK(uint_at(r, 1) == 7u);
    CHECK(uint_at(r, 2) == 100u);
    CHECK(uint_at(r, 3) == 2u);
    CHECK(r.octets() == std::nullopt);
    CHECK(s.counters().options_records == 1);
    CHECK(s.counters().records == 1);
    // 2 bytes after the options template record, 3 after the options data record.
    CHECK(s.counters().padding_bytes == 5);
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("v9: several templates and flowsets per packet, options and data mixed", "[v9]") {
    decode_session s;
    v9_builder b;
    b.template_flowset().template_record(256, v9_flow).template_record(257, {{27, 16}, {28, 16}, {16, 4}, {17, 4}});
    b.options_template_flowset().options_template_record(258, {{2, 2}}, {{82, 8}}).align_set(4);
    b.data_flowset(257).record().ipv6("2001:db8::1").ipv6("2001:db8::2").u32(4200000000u).u32(65536);
    b.data_flowset(258).record().u16(4).text("Gi0/0/10").align_set(4);
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10).align_set(4);
    REQUIRE(s.feed(b.build()));
    CHECK(s.msg.header.count == 6);
    REQUIRE(s.msg.template_events.size() == 3);
    REQUIRE(s.msg.records.size() == 3);
    const proto::record_view& v6 = s.msg.records[0];
    CHECK(v6.source_address().to_string() == "2001:db8::1");
    CHECK(v6.destination_address().to_string() == "2001:db8::2");
    CHECK(v6.source_as() == 4200000000u);
    CHECK(v6.destination_as() == 65536u);
    CHECK(s.msg.records[1].tmpl->options);
    CHECK(uint_at(s.msg.records[1], 0) == 4u);
    check_good_record(s.msg.records[2]);
    CHECK(s.counters().options_records == 1);
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("v9: zero padding inside template flowsets and after the last flowset", "[v9]") {
    decode_session s;
    v9_builder b;
    b.template_flowset().template_record(256, v9_flow).zeros(8);
    b.options_template_flowset().options_template_record(258, {{1, 4}}, {{34, 4}}).zeros(6);
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10).end_set();
    b.zeros(3);
    REQUIRE(s.feed(b.build()));
    CHECK(s.counters().padding_bytes == 8 + 6 + 3);
    CHECK(s.counters().templates_learned == 2);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("v9: field types with the top bit set are plain v9 ids, not enterprise fields", "[v9]") {
    decode_session s;
    v9_builder b;
    b.template_flowset().template_record(256, {{8, 4}, {0x8001, 2}, {40000, 4}});
    b.data_flowset(256).record().ipv4("10.0.0.1").u16(7).u32(9).align_set(4);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.spec(1) == proto::field_spec{0x8001, 2, 0, false});
    CHECK(r.spec(2) == proto::field_spec{40000, 4, 0, false});
    CHECK(uint_at(r, 1) == 7u);
    CHECK(uint_at(r, 2) == 9u);
}

TEST_CASE("v9: redefinition applies to later records only, within one packet too", "[v9]") {
    decode_session s;
    v9_builder b;
    b.template_flowset().template_record(256, {{8, 4}});
    b.data_flowset(256).record().ipv4("10.0.0.1");
    b.template_flowset().template_record(256, {{12, 4}, {8, 4}});
    b.data_flowset(256).record().ipv4("10.0.0.3").ipv4("10.0.0.2");
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.template_events.size() == 2);
    CHECK(s.msg.template_events[1].kind == template_event_kind::redefined);
    REQUIRE(s.msg.records.size() == 2);
    CHECK(s.msg.records[0].field_count() == 1);
    CHECK(s.msg.records[0].source_address().to_string() == "10.0.0.1");
    CHECK(s.msg.records[1].field_count() == 2);
    CHECK(s.msg.records[1].source_address().to_string() == "10.0.0.2");
    CHECK(s.msg.records[1].destination_address().to_string() == "10.0.0.3");
    CHECK(s.counters().templates_redefined == 1);
}

TEST_CASE("v9: field types are looked up in v9's own table", "[v9]") {
    decode_session s;
    v9_builder b;
    b.template_flowset().template_record(256, {{16, 2}, {6660, 4}});
    b.data_flowset(256).record().u16(1).u32(2).align_set(4);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    const proto::ie_info* as = proto::find_v9_field(r.spec(0).id);
    REQUIRE(as != nullptr);
    CHECK(as->name == "bgpSourceAsNumber");
    const proto::ie_info* vendor = proto::find_v9_field(r.spec(1).id);
    REQUIRE(vendor != nullptr);
    CHECK(vendor->pen == proto::netflow_v9_pen);
    CHECK(vendor->name == "EkinopsTcpConnectionSetupTime");
}

// --- Protocol faults ---

TEST_CASE("v9 fault: truncatedHeader", "[v9][fault]") {
    decode_session s;
    auto m = good_start().build();
    m.resize(GENERATE(size_t{19}, size_t{4}, size_t{2}));
    CHECK_FALSE(s.feed(m));
    CHECK(malformed_summary(s.counters()) == "truncated_header=1");
    CHECK(s.msg.records.empty());
}

TEST_CASE("v9 fault: setTooShort (flowset length under 4, or trailing bytes that are not zero)", "[v9][fault]") {
    decode_session s;
    auto b = good_start();
    if (GENERATE(true, false)) b.data_flowset(256).end_set_with_length(2);
    else b.bytes({0, 0, 1});
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "set_too_short=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: setPastMessage", "[v9][fault]") {
    decode_session s;
    auto b = good_start();
    b.data_flowset(256);
    v9_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 3, 4).end_set_with_length(400);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "set_past_message=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: templateTruncated", "[v9][fault]") {
    decode_session s;
    v9_builder b;
    SECTION("template count promises more fields") {
        b.template_flowset().template_record(256, v9_flow).u16(257).u16(4).u16(8).u16(4);
    }
    SECTION("options lengths run past the flowset") {
        b.template_flowset().template_record(256, v9_flow);
        b.options_template_flowset().u16(300).u16(4).u16(8).u16(1).u16(4);
    }
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_truncated=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: templateZeroFields", "[v9][fault]") {
    decode_session s;
    v9_builder b;
    SECTION("template record with a field count of 0") {
        b.template_flowset().template_record(256, v9_flow).u16(257).u16(0).u32(0x00080004);
    }
    SECTION("options template with no scope and no option fields") {
        b.template_flowset().template_record(256, v9_flow);
        b.options_template_flowset().u16(300).u16(0).u16(0).u16(0);
    }
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_zero_fields=1");
    CHECK(s.counters().templates_learned == 1);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: templateIdReserved", "[v9][fault]") {
    decode_session s;
    const uint16_t id = GENERATE(uint16_t{0}, uint16_t{1}, uint16_t{255});
    v9_builder b;
    SECTION("template") {
        b.template_flowset().template_record(id, {{8, 4}}).template_record(256, v9_flow);
    }
    SECTION("options template") {
        b.template_flowset().template_record(256, v9_flow);
        b.options_template_flowset().options_template_record(id, {{1, 4}}, {{34, 4}});
    }
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_id_reserved=1");
    CHECK(s.counters().templates_learned == 1);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9: fields of length 0 are accepted; templates of only such fields are refused", "[v9][fault]") {
    decode_session s;
    v9_builder b;
    SECTION("template") {
        b.template_flowset().template_record(257, {{8, 4}, {10, 0}}).template_record(258, {{10, 0}});
        b.template_flowset().template_record(256, v9_flow);
    }
    SECTION("options template: a scope field of length 0 (Juniper SRX)") {
        b.template_flowset().template_record(256, v9_flow);
        b.options_template_flowset().options_template_record(257, {{1, 0}}, {{34, 4}});
        b.options_template_flowset().options_template_record(258, {{1, 0}}, {{34, 0}});
    }
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "field_length_zero=1");  // 258 only
    CHECK(s.counters().templates_learned == 2);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: templateTooLong", "[v9][fault]") {
    decode_session s;
    v9_builder b;
    b.template_flowset().template_record(257, {{1, 65534}, {2, 8}}).template_record(256, v9_flow);
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_too_long=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: optionsScopeInvalid", "[v9][fault][options]") {
    decode_session s;
    v9_builder b;
    b.template_flowset().template_record(256, v9_flow);
    SECTION("scope length not a multiple of 4") {
        b.options_template_flowset().u16(300).u16(6).u16(4).u16(1).u16(4).u16(0).u16(34).u16(4);
    }
    SECTION("no scope field") {
        b.options_template_flowset().options_template_record(300, {}, {{34, 4}, {35, 1}});
    }
    b.data_flowset(256);
    v9_record(b, "10.0.0.1", "10.0.0.2", 64500, 64501, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "options_scope_invalid=1");
    CHECK(s.counters().templates_learned == 1);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: unknownTemplate", "[v9][fault]") {
    decode_session s;
    auto b = good_start();
    b.data_flowset(999).record().u32(1);
    b.data_flowset(256);
    v9_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 3, 4);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "unknown_template=1");
    CHECK(s.msg.unknown_data_sets == 1);
    REQUIRE(s.msg.records.size() == 2);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("v9 fault: dataSetIdReserved", "[v9][fault]") {
    decode_session s;
    const uint16_t id = GENERATE(uint16_t{2}, uint16_t{3}, uint16_t{255});
    auto b = good_start();
    b.begin_set(id).u32(0x00080004);
    b.data_flowset(256);
    v9_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 3, 4);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "data_set_id_reserved=1");
    REQUIRE(s.msg.records.size() == 2);
    check_good_record(s.msg.records[0]);
}
