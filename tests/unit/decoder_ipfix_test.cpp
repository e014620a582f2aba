// IPFIX (RFC 7011) decoding: sets, templates, options, enterprise and variable-length fields,
// withdrawals, redefinitions, and every malformed input the decoder counts for IPFIX.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "ipfix/proto/decoder.hpp"

using namespace ipfix;
using namespace ipfix::test;
using proto::known_field;
using proto::malformed;
using proto::template_event_kind;

namespace {

// 256: the IPv4 5-tuple with counters (29 bytes a record).
const std::vector<field> ipv4_flow = {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 8}};

ipfix_builder& ipv4_record(ipfix_builder& b, const char* src, const char* dst, uint16_t sport, uint16_t dport,
                           uint8_t proto_id, uint64_t octets, uint64_t packets) {
    return b.ipv4(src).ipv4(dst).u16(sport).u16(dport).u8(proto_id).u64(octets).u64(packets);
}

// A message that defines 256 and carries one record of it; fault tests add their fault around it.
ipfix_builder good_start(ipfix_header h = {}) {
    ipfix_builder b(h);
    b.template_set().template_record(256, ipv4_flow);
    b.data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1111, 80, 6, 1000, 10);
    b.end_set();
    return b;
}

void check_good_record(const proto::record_view& r) {
    CHECK(r.tmpl->id == 256);
    CHECK(r.source_address().to_string() == "10.0.0.1");
    CHECK(r.destination_address().to_string() == "10.0.0.2");
    CHECK(r.octets() == 1000u);
    CHECK(r.packets() == 10u);
}

}  // namespace

TEST_CASE("ipfix: template and data in one message", "[ipfix]") {
    decode_session s;
    ipfix_builder b({.export_time = 1700000123, .sequence = 5, .domain = 42});
    b.template_set().template_record(256, ipv4_flow).data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1234, 80, 6, 1500, 3);
    ipv4_record(b, "10.0.0.3", "10.0.0.4", 5353, 53, 17, 64, 1);
    const auto m = b.build();
    REQUIRE(m.size() == 16 + 4 + 4 + 7 * 4 + 4 + 2 * 29);

    REQUIRE(s.feed(m, 1000, endpoint("192.0.2.7", 4739)));
    const proto::decoded_message& msg = s.msg;
    CHECK(msg.header.version == proto::protocol_version::ipfix);
    CHECK(msg.header.length == m.size());
    CHECK(msg.header.export_time == 1700000123u);
    CHECK(msg.header.sequence == 5u);
    CHECK(msg.header.domain == 42u);
    CHECK(msg.stream.exporter == endpoint("192.0.2.7", 4739));
    CHECK(msg.stream.domain == 42u);
    CHECK(msg.stream.version == proto::protocol_version::ipfix);

    REQUIRE(msg.template_events.size() == 1);
    const proto::template_event& ev = msg.template_events[0];
    CHECK(ev.kind == template_event_kind::learned);
    CHECK(ev.id == 256);
    CHECK_FALSE(ev.options);
    REQUIRE(ev.def != nullptr);
    CHECK(ev.def->fields.size() == 7);
    CHECK(ev.def->min_record_length == 29u);
    CHECK_FALSE(ev.def->variable);

    REQUIRE(msg.records.size() == 2);
    const proto::record_view& r0 = msg.records[0];
    CHECK(r0.tmpl == ev.def);
    CHECK(r0.length == 29);
    CHECK(r0.field_count() == 7);
    CHECK(r0.source_address().to_string() == "10.0.0.1");
    CHECK(r0.destination_address().to_string() == "10.0.0.2");
    CHECK(r0.unsigned_value(known_field::source_port) == 1234u);
    CHECK(r0.unsigned_value(known_field::destination_port) == 80u);
    CHECK(r0.unsigned_value(known_field::protocol) == 6u);
    CHECK(r0.octets() == 1500u);
    CHECK(r0.packets() == 3u);
    CHECK(r0.source_as() == std::nullopt);
    const proto::record_view& r1 = msg.records[1];
    CHECK(r1.source_address().to_string() == "10.0.0.3");
    CHECK(r1.destination_address().to_string() == "10.0.0.4");
    CHECK(uint_at(r1, 2) == 5353u);
    CHECK(uint_at(r1, 3) == 53u);
    CHECK(uint_at(r1, 4) == 17u);
    CHECK(r1.octets() == 64u);
    CHECK(r1.packets() == 1u);

    const proto::decode_counters& c = s.counters();
    CHECK(c.messages == 1);
    CHECK(c.messages_ok == 1);
    CHECK(c.records == 2);
    CHECK(c.options_records == 0);
    CHECK(c.templates_learned == 1);
    CHECK(c.padding_bytes == 0);
    CHECK(malformed_summary(c).empty());
    CHECK(msg.malformed == 0);
    CHECK(s.dec.templates().stream_count() == 1);
    CHECK(s.dec.templates().template_count() == 1);
}

TEST_CASE("ipfix: several sets and templates per message, sets in any order", "[ipfix]") {
    decode_session s;
    ipfix_builder b({.domain = 1});
    b.template_set()
        .template_record(256, {{8, 4}, {12, 4}})
        .template_record(257, {{27, 16}, {28, 16}});
    b.options_template_set().options_template_record(258, 1, {{149, 4}, {41, 8}});
    b.data_set(257).ipv6("2001:db8::1").ipv6("2001:db8::2");
    b.data_set(256).ipv4("10.1.0.1").ipv4("10.1.0.2").ipv4("10.1.0.3").ipv4("10.1.0.4");
    b.data_set(258).u32(1).u64(77);
    b.data_set(256).ipv4("10.1.0.5").ipv4("10.1.0.6");
    REQUIRE(s.feed(b.build()));

    REQUIRE(s.msg.template_events.size() == 3);
    CHECK(s.msg.template_events[0].id == 256);
    CHECK(s.msg.template_events[1].id == 257);
    CHECK(s.msg.template_events[2].id == 258);
    CHECK(s.msg.template_events[2].options);

    REQUIRE(s.msg.records.size() == 5);
    CHECK(s.msg.records[0].tmpl->id == 257);
    CHECK(s.msg.records[0].source_address().to_string() == "2001:db8::1");
    CHECK(s.msg.records[0].destination_address().to_string() == "2001:db8::2");
    CHECK(s.msg.records[1].tmpl->id == 256);
    CHECK(s.msg.records[1].source_address().to_string() == "10.1.0.1");
    CHECK(s.msg.records[2].source_address().to_string() == "10.1.0.3");
    CHECK(s.msg.records[2].destination_address().to_string() == "10.1.0.4");
    CHECK(s.msg.records[3].tmpl->id == 258);
    CHECK(uint_at(s.msg.records[3], 0) == 1u);
    CHECK(uint_at(s.msg.records[3], 1) == 77u);
    CHECK(s.msg.records[4].source_address().to_string() == "10.1.0.5");

    const proto::decode_counters& c = s.counters();
    CHECK(c.records == 5);
    CHECK(c.options_records == 1);
    CHECK(c.templates_learned == 3);
    CHECK(malformed_summary(c).empty());
}

TEST_CASE("ipfix: run_ends mark where each data set's records end", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    b.template_set()
        .template_record(256, {{8, 4}, {12, 4}})
        .template_record(257, {{27, 16}})
        .template_record(258, {{8, 4}, {82, varlen_field}});
    b.data_set(257).ipv6("2001:db8::1");
    b.data_set(999).u32(1);  // no such template: skipped, no run
    b.data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2").ipv4("10.0.0.3").ipv4("10.0.0.4");
    b.data_set(256);         // no record: no run
    b.data_set(258).ipv4("10.0.0.5").varlen("eth0").ipv4("10.0.0.6").varlen("");
    b.data_set(256).ipv4("10.0.0.7").ipv4("10.0.0.8");
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 6);
    CHECK(s.msg.run_ends == std::vector<uint32_t>{1, 3, 5, 6});

    // The next message starts afresh.
    ipfix_builder next;
    next.data_set(256).ipv4("10.0.0.9").ipv4("10.0.0.10");
    REQUIRE(s.feed(next.build()));
    CHECK(s.msg.run_ends == std::vector<uint32_t>{1});
}

TEST_CASE("ipfix: options template with scope fields", "[ipfix]") {
    decode_session s;
    ipfix_builder b({.domain = 9});
    // Scope: observationDomainId and sourceIPv4Address (a scope, so not the flow's source).
    b.options_template_set().options_template_record(300, 2, {{149, 4}, {8, 4}, {41, 8}, {42, 8}});
    b.data_set(300).u32(9).ipv4("192.0.2.1").u64(1234).u64(98765);
    REQUIRE(s.feed(b.build()));

    REQUIRE(s.msg.template_events.size() == 1);
    const proto::template_def* t = s.msg.template_events[0].def;
    REQUIRE(t != nullptr);
    CHECK(t->options);
    CHECK(t->scope_count == 2);
    REQUIRE(t->fields.size() == 4);
    CHECK(t->fields[0] == proto::field_spec{149, 4, 0, true});
    CHECK(t->fields[1] == proto::field_spec{8, 4, 0, true});
    CHECK(t->fields[2] == proto::field_spec{41, 8, 0, false});
    CHECK(t->fields[3] == proto::field_spec{42, 8, 0, false});
    CHECK_FALSE(t->has(known_field::source_ipv4));

    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.spec(0).is_scope);
    CHECK(uint_at(r, 0) == 9u);
    CHECK(bytes_at(r, 1) == std::vector<uint8_t>{192, 0, 2, 1});
    CHECK(r.source_address().empty());
    CHECK(uint_at(r, 2) == 1234u);
    CHECK(uint_at(r, 3) == 98765u);
    CHECK(s.counters().records == 1);
    CHECK(s.counters().options_records == 1);
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("ipfix: enterprise elements carry the PEN and are not IANA's", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    // CERT (6871) element 14, an IANA-looking id 17 under Cisco's PEN, and the largest id.
    b.template_set().template_record(256, {{8, 4}, {14, 2, 6871}, {17, 4, 9}, {0x7FFF, 1, 5951}, {16, 4}});
    b.data_set(256).ipv4("10.0.0.1").u16(0x0012).u32(4200000000u).u8(7).u32(64500);
    const auto m = b.build();
    // Five specifiers, three of them with a PEN: 4 + 5 * 4 + 3 * 4 bytes of template record.
    REQUIRE(m.size() == 16 + 4 + 36 + 4 + 15);
    REQUIRE(s.feed(m));

    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.spec(1) == proto::field_spec{14, 2, 6871, false});
    CHECK(r.spec(2) == proto::field_spec{17, 4, 9, false});
    CHECK(r.spec(3) == proto::field_spec{0x7FFF, 1, 5951, false});
    CHECK(r.spec(4) == proto::field_spec{16, 4, 0, false});
    CHECK(uint_at(r, 1) == 0x12u);
    CHECK(uint_at(r, 2) == 4200000000u);
    CHECK(uint_at(r, 3) == 7u);
    // Enterprise 17 is not bgpDestinationAsNumber; IANA 16 is bgpSourceAsNumber.
    CHECK(r.destination_as() == std::nullopt);
    CHECK(r.source_as() == 64500u);
    CHECK(r.source_address().to_string() == "10.0.0.1");
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("ipfix: variable-length fields with 1- and 3-byte lengths", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    // interfaceName (82) and applicationName (96) between fixed fields.
    b.template_set().template_record(256, {{8, 4}, {82, varlen_field}, {12, 4}, {96, varlen_field}, {16, 2}});
    const std::string long_name(300, 'x');
    b.data_set(256)
        .ipv4("10.0.0.1").varlen("eth0").ipv4("10.0.0.2").varlen3("http").u16(64500)
        .ipv4("10.0.0.3").varlen("").ipv4("10.0.0.4").varlen(long_name).u16(65001);
    REQUIRE(s.feed(b.build()));

    REQUIRE(s.msg.template_events.size() == 1);
    const proto::template_def* t = s.msg.template_events[0].def;
    CHECK(t->variable);
    CHECK(t->fixed_locs.empty());
    CHECK(t->min_record_length == 4u + 1 + 4 + 1 + 2);

    REQUIRE(s.msg.records.size() == 2);
    const proto::record_view& r0 = s.msg.records[0];
    CHECK(r0.length == 4 + 5 + 4 + 7 + 2);
    CHECK(text_at(r0, 1) == "eth0");
    CHECK(text_at(r0, 3) == "http");
    CHECK(r0.value(1).data() == r0.data + 5);   // after the 1-byte length
    CHECK(r0.value(3).data() == r0.data + 16);  // after 255 and the 2-byte length
    CHECK(r0.source_address().to_string() == "10.0.0.1");
    CHECK(r0.destination_address().to_string() == "10.0.0.2");
    CHECK(r0.source_as() == 64500u);

    const proto::record_view& r1 = s.msg.records[1];
    CHECK(r1.length == 4 + 1 + 4 + 3 + 300 + 2);
    CHECK(r1.value(1).empty());
    CHECK(text_at(r1, 3) == long_name);
    CHECK(r1.destination_address().to_string() == "10.0.0.4");
    CHECK(r1.source_as() == 65001u);
    CHECK(r1.data == r0.data + r0.length);
    CHECK(s.counters().records == 2);
    CHECK(s.counters().padding_bytes == 0);
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("ipfix: reduced-size encoding read through the accessors", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    // AS numbers in 2 bytes, counters in 4 and 3, interfaces in 2 and 1, addresses as usual.
    b.template_set().template_record(256, {{16, 2}, {17, 2}, {1, 4}, {2, 3}, {10, 2}, {14, 1}, {8, 4}});
    b.data_set(256).u16(65001).u16(65535).u32(0xFFFFFFFFu).uint(3, 0x010203).u16(700).u8(3).ipv4("10.9.9.9");
    REQUIRE(s.feed(b.build()));

    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.length == 18);
    CHECK(r.source_as() == 65001u);
    CHECK(r.destination_as() == 65535u);
    CHECK(r.octets() == 0xFFFFFFFFu);
    CHECK(r.packets() == 0x010203u);
    CHECK(r.ingress_interface() == 700u);
    CHECK(r.egress_interface() == 3u);
    CHECK(r.source_address().to_string() == "10.9.9.9");
}

TEST_CASE("ipfix: an integer field longer than 8 bytes or an address of odd size reads as absent", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, {{1, 9}, {8, 6}, {27, 4}});
    b.data_set(256).zeros(8).u8(5).bytes({1, 2, 3, 4, 5, 6}).ipv4("10.0.0.1");
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.octets() == std::nullopt);
    CHECK(r.address(known_field::source_ipv4).empty());
    // A 4-byte sourceIPv6Address is no address either (record_view: "empty if ... wrong size").
    CHECK(r.address(known_field::source_ipv6).empty());
    CHECK(r.source_address().empty());
}

TEST_CASE("ipfix: typed accessors whatever the template order (IPv6)", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, {{17, 4}, {63, 16}, {14, 4}, {28, 16}, {153, 8}, {86, 8}, {16, 4},
                                           {27, 16}, {62, 16}, {10, 4}, {85, 8}, {152, 8}, {11, 2}, {7, 2}});
    b.data_set(256)
        .u32(4200000002u).ipv6("2001:db8::ff").u32(20).ipv6("2001:db8::2").u64(1700000002000u).u64(42)
        .u32(4200000001u).ipv6("2001:db8::1").ipv6("2001:db8::fe").u32(10).u64(99999).u64(1700000001000u)
        .u16(443).u16(50000);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.source_address().to_string() == "2001:db8::1");
    CHECK(r.destination_address().to_string() == "2001:db8::2");
    CHECK(r.next_hop().to_string() == "2001:db8::fe");
    CHECK(r.bgp_next_hop().to_string() == "2001:db8::ff");
    CHECK(r.source_address().family == 6);
    CHECK(r.source_as() == 4200000001u);
    CHECK(r.destination_as() == 4200000002u);
    CHECK(r.ingress_interface() == 10u);
    CHECK(r.egress_interface() == 20u);
    CHECK(r.octets() == 99999u);  // octetTotalCount when there is no delta
    CHECK(r.packets() == 42u);
    CHECK(r.unsigned_value(known_field::flow_start_milliseconds) == 1700000001000u);
    CHECK(r.unsigned_value(known_field::flow_end_milliseconds) == 1700000002000u);
    CHECK(r.unsigned_value(known_field::source_port) == 50000u);
    CHECK(r.unsigned_value(known_field::destination_port) == 443u);
    CHECK(r.unsigned_value(known_field::flow_start_seconds) == std::nullopt);
}

TEST_CASE("ipfix: typed accessors whatever the template order (IPv4)", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, {{15, 4}, {18, 4}, {12, 4}, {8, 4}, {22, 4}, {21, 4}, {150, 4},
                                           {151, 4}, {17, 2}, {16, 2}, {14, 2}, {10, 2}});
    b.data_set(256)
        .ipv4("192.0.2.254").ipv4("198.51.100.1").ipv4("203.0.113.9").ipv4("10.0.0.1")
        .u32(1000).u32(2000).u32(1700000000).u32(1700000060).u16(3356).u16(64512).u16(2).u16(1);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.source_address().to_string() == "10.0.0.1");
    CHECK(r.destination_address().to_string() == "203.0.113.9");
    CHECK(r.next_hop().to_string() == "192.0.2.254");
    CHECK(r.bgp_next_hop().to_string() == "198.51.100.1");
    CHECK(r.source_as() == 64512u);
    CHECK(r.destination_as() == 3356u);
    CHECK(r.ingress_interface() == 1u);
    CHECK(r.egress_interface() == 2u);
    CHECK(r.unsigned_value(known_field::flow_start_sys_up_time) == 1000u);
    CHECK(r.unsigned_value(known_field::flow_end_sys_up_time) == 2000u);
    CHECK(r.unsigned_value(known_field::flow_start_seconds) == 1700000000u);
    CHECK(r.unsigned_value(known_field::flow_end_seconds) == 1700000060u);
    CHECK(r.octets() == std::nullopt);
    CHECK(r.packets() == std::nullopt);
}

TEST_CASE("ipfix: delta counters win over totals whatever their order", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    // Totals listed first: octets()/packets() must still read the deltas (known_field contract).
    b.template_set().template_record(256, {{85, 8}, {86, 8}, {1, 8}, {2, 8}});
    b.data_set(256).u64(1000000).u64(5000).u64(1500).u64(3);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].octets() == 1500u);
    CHECK(s.msg.records[0].packets() == 3u);
}

TEST_CASE("ipfix: IPv4 is preferred when a record has both address families", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, {{27, 16}, {8, 4}, {28, 16}, {12, 4}});
    b.data_set(256).ipv6("2001:db8::1").ipv4("10.0.0.1").ipv6("2001:db8::2").ipv4("10.0.0.2");
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].source_address().to_string() == "10.0.0.1");
    CHECK(s.msg.records[0].destination_address().to_string() == "10.0.0.2");
    CHECK(s.msg.records[0].address(known_field::source_ipv6).to_string() == "2001:db8::1");
}

TEST_CASE("ipfix: padding at the end of data and template sets is skipped and counted", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, {{8, 4}, {16, 4}, {4, 2}}).zeros(2);
    b.data_set(256).ipv4("10.0.0.1").u32(1).u16(6).ipv4("10.0.0.2").u32(2).u16(17).zeros(3);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 2);
    CHECK(s.msg.records[1].source_as() == 2u);
    CHECK(s.counters().padding_bytes == 5);
    CHECK(s.counters().records == 2);
    CHECK(malformed_summary(s.counters()).empty());
    CHECK(s.counters().messages_ok == 1);
}

TEST_CASE("ipfix: a template sent again identically is a refresh", "[ipfix]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(256, ipv4_flow).build(), 0));
    const proto::template_def* first = s.msg.template_events.at(0).def;
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(256, ipv4_flow).build(), 10));
    REQUIRE(s.msg.template_events.size() == 1);
    CHECK(s.msg.template_events[0].kind == template_event_kind::refreshed);
    CHECK(s.msg.template_events[0].def == first);
    CHECK(s.counters().templates_learned == 1);
    CHECK(s.counters().templates_refreshed == 1);
    CHECK(s.counters().templates_redefined == 0);
    CHECK(s.dec.templates().template_count() == 1);
}

TEST_CASE("ipfix: redefinition applies to later records only, even within one message", "[ipfix]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, {{8, 4}, {12, 4}});
    b.data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2");
    b.template_set().template_record(256, {{12, 4}, {8, 4}, {16, 4}});
    b.data_set(256).ipv4("10.0.0.4").ipv4("10.0.0.3").u32(64999);
    REQUIRE(s.feed(b.build()));

    REQUIRE(s.msg.template_events.size() == 2);
    CHECK(s.msg.template_events[0].kind == template_event_kind::learned);
    CHECK(s.msg.template_events[1].kind == template_event_kind::redefined);
    REQUIRE(s.msg.records.size() == 2);
    const proto::record_view& before = s.msg.records[0];
    const proto::record_view& after = s.msg.records[1];
    CHECK(before.tmpl == s.msg.template_events[0].def);
    CHECK(after.tmpl == s.msg.template_events[1].def);
    // The earlier record still reads with the old layout (its definition is kept alive).
    CHECK(before.field_count() == 2);
    CHECK(before.length == 8);
    CHECK(before.source_address().to_string() == "10.0.0.1");
    CHECK(before.destination_address().to_string() == "10.0.0.2");
    CHECK(before.source_as() == std::nullopt);
    CHECK(after.field_count() == 3);
    CHECK(after.length == 12);
    CHECK(after.source_address().to_string() == "10.0.0.3");
    CHECK(after.destination_address().to_string() == "10.0.0.4");
    CHECK(after.source_as() == 64999u);
    CHECK(s.counters().templates_learned == 1);
    CHECK(s.counters().templates_redefined == 1);
    CHECK(s.dec.templates().template_count() == 1);

    // And the next message uses the new definition.
    REQUIRE(s.feed(ipfix_builder().data_set(256).ipv4("10.0.0.6").ipv4("10.0.0.5").u32(1).build()));
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].source_address().to_string() == "10.0.0.5");
}

TEST_CASE("ipfix: withdrawing one template", "[ipfix][withdrawal]") {
    decode_session s;
    ipfix_builder def;
    def.template_set().template_record(256, {{8, 4}}).template_record(257, {{12, 4}});
    REQUIRE(s.feed(def.build(), 0));

    REQUIRE(s.feed(ipfix_builder().template_set().withdrawal(256).build(), 1));
    REQUIRE(s.msg.template_events.size() == 1);
    CHECK(s.msg.template_events[0].kind == template_event_kind::withdrawn);
    CHECK(s.msg.template_events[0].id == 256);
    CHECK(s.msg.template_events[0].def == nullptr);
    CHECK(s.counters().templates_withdrawn == 1);
    CHECK(s.dec.templates().template_count() == 1);

    ipfix_builder data;
    data.data_set(256).ipv4("10.0.0.1").data_set(257).ipv4("10.0.0.2");
    REQUIRE(s.feed(data.build(), 2));
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].destination_address().to_string() == "10.0.0.2");
    CHECK(s.counters()[malformed::unknown_template] == 1);
}

TEST_CASE("ipfix: withdrawing an unknown id changes nothing and is not malformed", "[ipfix][withdrawal]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_builder().template_set().withdrawal(999).build()));
    CHECK(s.msg.template_events.empty());
    CHECK(s.counters().templates_withdrawn == 0);
    CHECK(malformed_summary(s.counters()).empty());
    CHECK(s.counters().messages_ok == 1);
}

TEST_CASE("ipfix: withdraw-all id 2 removes data templates, id 3 options templates", "[ipfix][withdrawal]") {
    decode_session s;
    ipfix_builder def;
    def.template_set().template_record(256, {{8, 4}}).template_record(257, {{12, 4}});
    def.options_template_set().options_template_record(258, 1, {{149, 4}, {41, 8}});
    REQUIRE(s.feed(def.build()));
    REQUIRE(s.dec.templates().template_count() == 3);

    ipfix_builder data;
    data.data_set(256).ipv4("10.0.0.1").data_set(257).ipv4("10.0.0.2").data_set(258).u32(1).u64(2);

    SECTION("all data templates") {
        REQUIRE(s.feed(ipfix_builder().template_set().withdrawal(2).build()));
        REQUIRE(s.msg.template_events.size() == 1);
        CHECK(s.msg.template_events[0].kind == template_event_kind::withdrawn);
        CHECK(s.msg.template_events[0].id == 2);
        CHECK_FALSE(s.msg.template_events[0].options);
        CHECK(s.counters().templates_withdrawn == 2);
        CHECK(s.dec.templates().template_count() == 1);
        REQUIRE(s.feed(data.build()));
        REQUIRE(s.msg.records.size() == 1);
        CHECK(s.msg.records[0].tmpl->id == 258);
        CHECK(s.counters()[malformed::unknown_template] == 2);
    }
    SECTION("all options templates") {
        REQUIRE(s.feed(ipfix_builder().options_template_set().withdrawal(3).build()));
        REQUIRE(s.msg.template_events.size() == 1);
        CHECK(s.msg.template_events[0].id == 3);
        CHECK(s.msg.template_events[0].options);
        CHECK(s.counters().templates_withdrawn == 1);
        CHECK(s.dec.templates().template_count() == 2);
        REQUIRE(s.feed(data.build()));
        REQUIRE(s.msg.records.size() == 2);
        CHECK(s.msg.records[0].tmpl->id == 256);
        CHECK(s.msg.records[1].tmpl->id == 257);
        CHECK(s.counters()[malformed::unknown_template] == 1);
    }
}

TEST_CASE("ipfix: withdrawal then a new definition of the same id in one set", "[ipfix][withdrawal]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(256, {{8, 4}}).build()));
    ipfix_builder b;
    b.template_set().withdrawal(256).template_record(256, {{12, 4}, {16, 2}});
    b.data_set(256).ipv4("10.0.0.9").u16(64600);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.template_events.size() == 2);
    CHECK(s.msg.template_events[0].kind == template_event_kind::withdrawn);
    CHECK(s.msg.template_events[1].kind == template_event_kind::learned);
    REQUIRE(s.msg.records.size() == 1);
    CHECK(s.msg.records[0].destination_address().to_string() == "10.0.0.9");
    CHECK(s.msg.records[0].source_as() == 64600u);
    CHECK(s.counters().templates_learned == 2);
    CHECK(s.counters().templates_redefined == 0);
}

// --- Protocol faults: each counts exactly its reason, and the good parts around it decode. ---

TEST_CASE("ipfix fault: truncatedHeader", "[ipfix][fault]") {
    decode_session s;
    auto m = good_start().build();
    const size_t cut = GENERATE(15, 2, 1, 0);
    m.resize(cut);
    CHECK_FALSE(s.feed(m));
    CHECK(malformed_summary(s.counters()) == "truncated_header=1");
    CHECK(s.msg.malformed == 1);
    CHECK(s.msg.records.empty());
    CHECK(s.counters().messages_ok == 0);
}

TEST_CASE("ipfix fault: invalidVersion", "[ipfix][fault]") {
    decode_session s;
    const uint16_t version = GENERATE(uint16_t{0}, uint16_t{1}, uint16_t{8}, uint16_t{11}, uint16_t{0x0A00});
    CHECK_FALSE(s.feed(good_start().version(version).build()));
    CHECK(malformed_summary(s.counters()) == "unsupported_version=1");
    CHECK(s.msg.records.empty());
    CHECK(s.dec.templates().template_count() == 0);
}

TEST_CASE("ipfix fault: lengthMismatch (header says more)", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    const auto m = b.header_length(static_cast<uint16_t>(b.size() + 20)).build();
    REQUIRE(s.feed(m));
    CHECK(malformed_summary(s.counters()) == "length_mismatch=1");
    CHECK(s.msg.header.length == m.size() + 20);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: lengthMismatch (header says less: bytes past it are ignored)", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    const auto length = static_cast<uint16_t>(b.size());
    // Another whole data set after the declared end.
    b.data_set(256);
    ipv4_record(b, "10.0.0.7", "10.0.0.8", 1, 2, 17, 1, 1);
    REQUIRE(s.feed(b.header_length(length).build()));
    CHECK(malformed_summary(s.counters()) == "length_mismatch=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: lengthMismatch (header length under 16: the datagram is decoded)", "[ipfix][fault]") {
    decode_session s;
    REQUIRE(s.feed(good_start().header_length(4).build()));
    CHECK(malformed_summary(s.counters()) == "length_mismatch=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: setTooShort (set length under 4)", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    b.data_set(256).end_set_with_length(3);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "set_too_short=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: setTooShort (bytes after the last set that cannot hold a set header)", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    b.zeros(3);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "set_too_short=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: setPastMessage", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    b.data_set(256);
    ipv4_record(b, "10.0.0.7", "10.0.0.8", 1, 2, 17, 1, 1);
    b.end_set_with_length(4 + 29 + 1);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "set_past_message=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: templateTruncated (field count promises more specifiers)", "[ipfix][fault]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, ipv4_flow).u16(257).u16(3).u16(8).u16(4).u16(12).u16(4);
    b.data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1111, 80, 6, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_truncated=1");
    CHECK(s.counters().templates_learned == 1);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: templateTruncated (enterprise bit without room for the PEN)", "[ipfix][fault]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, ipv4_flow).u16(257).u16(1).u16(0x8000 | 14).u16(2).u16(0);
    b.data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1111, 80, 6, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_truncated=1");
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: templateTruncated (options template without its scope count)", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    b.options_template_set().u16(300).u16(2);
    b.data_set(256);
    ipv4_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 17, 1, 1);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_truncated=1");
    CHECK(s.msg.records.size() == 2);
}

TEST_CASE("ipfix: a field count of 0 is a withdrawal, never templateZeroFields", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    b.template_set().u16(256).u16(0);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()).empty());
    CHECK(s.counters().templates_withdrawn == 1);
    CHECK(s.msg.records.size() == 1);
}

TEST_CASE("ipfix fault: templateIdReserved", "[ipfix][fault]") {
    decode_session s;
    const uint16_t id = GENERATE(uint16_t{0}, uint16_t{2}, uint16_t{255});
    ipfix_builder b;
    b.template_set().template_record(id, {{8, 4}}).template_record(256, ipv4_flow);
    b.data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1111, 80, 6, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_id_reserved=1");
    CHECK(s.counters().templates_learned == 1);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix: a field of length 0 is absent from the records; a template of only such fields is refused",
          "[ipfix][fault]") {
    decode_session s;
    ipfix_builder b;
    // 257: sourceIPv4Address, then destinationIPv4Address at length 0, then protocolIdentifier.
    // 258: nothing but zero-length fields, so records of no bytes: refused.
    b.template_set().template_record(257, {{8, 4}, {12, 0}, {4, 1}}).template_record(258, {{8, 0}, {12, 0}});
    b.template_set().template_record(256, ipv4_flow);
    b.data_set(257).ipv4("10.0.0.1").u8(17).ipv4("10.0.0.3").u8(6);
    b.data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1111, 80, 6, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "field_length_zero=1");
    CHECK(s.counters().templates_learned == 2);
    REQUIRE(s.msg.records.size() == 3);
    const proto::record_view& r = s.msg.records[0];
    CHECK(r.tmpl->id == 257);
    CHECK(r.length == 5);
    CHECK(r.source_address().to_string() == "10.0.0.1");
    CHECK(r.destination_address().empty());  // present in the template, but with no bytes
    CHECK(r.value(1).empty());
    CHECK(r.unsigned_value(proto::known_field::protocol) == 17);
    CHECK(s.msg.records[1].source_address().to_string() == "10.0.0.3");
    CHECK(s.msg.records[1].unsigned_value(proto::known_field::protocol) == 6);
    check_good_record(s.msg.records[2]);
}

TEST_CASE("ipfix: zero-length fields beside variable-length ones keep every location valid", "[ipfix]") {
    // Many zero-length fields per record make more locations than the message has bytes; the
    // views made before the storage grew must still point at their own records.
    std::vector<field> fields;
    for (int i = 0; i < 200; ++i) fields.push_back({12, 0});
    fields.push_back({96, 0xFFFF});  // applicationName, variable length
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(300, fields);
    b.data_set(300);
    for (int i = 0; i < 40; ++i) b.u8(1).u8(static_cast<uint8_t>('a' + i % 26));
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()).empty());
    REQUIRE(s.msg.records.size() == 40);
    for (size_t i = 0; i < 40; ++i) {
        const proto::record_view& r = s.msg.records[i];
        REQUIRE(r.field_count() == 201);
        CHECK(r.value(0).empty());
        REQUIRE(r.value(200).size() == 1);
        CHECK(r.value(200)[0] == static_cast<uint8_t>('a' + i % 26));
    }
}

TEST_CASE("ipfix fault: templateTooLong (fixed record over 65535 bytes)", "[ipfix][fault]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(257, {{351, 40000}, {352, 30000}}).template_record(256, ipv4_flow);
    b.data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1111, 80, 6, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "template_too_long=1");
    CHECK(s.counters().templates_learned == 1);
    CHECK(s.dec.templates().template_count() == 1);
    REQUIRE(s.msg.records.size() == 1);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: optionsScopeInvalid", "[ipfix][fault]") {
    decode_session s;
    const uint16_t scope = GENERATE(uint16_t{0}, uint16_t{3});
    auto b = good_start();
    b.options_template_set()
        .options_template_record(300, scope, {{149, 4}, {41, 8}})
        .options_template_record(301, 1, {{149, 4}, {41, 8}});
    b.data_set(301).u32(1).u64(55);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "options_scope_invalid=1");
    REQUIRE(s.msg.records.size() == 2);
    check_good_record(s.msg.records[0]);
    CHECK(uint_at(s.msg.records[1], 1) == 55u);
}

TEST_CASE("ipfix fault: withdrawalInvalid", "[ipfix][fault][withdrawal]") {
    decode_session s;
    const uint16_t id = GENERATE(uint16_t{0}, uint16_t{3}, uint16_t{100}, uint16_t{255});
    auto b = good_start();
    b.template_set().withdrawal(id);
    b.data_set(256);
    ipv4_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 17, 1, 1);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "withdrawal_invalid=1");
    CHECK(s.counters().templates_withdrawn == 0);
    REQUIRE(s.msg.records.size() == 2);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix fault: unknownTemplate", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    b.data_set(300).u32(1).u32(2);
    b.data_set(256);
    ipv4_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 17, 1, 1);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "unknown_template=1");
    CHECK(s.msg.unknown_data_sets == 1);
    REQUIRE(s.msg.records.size() == 2);
    check_good_record(s.msg.records[0]);
    CHECK(s.msg.records[1].source_address().to_string() == "10.0.0.5");
}

TEST_CASE("ipfix fault: recordPastSet (variable length runs past the set)", "[ipfix][fault]") {
    decode_session s;
    const bool three_byte = GENERATE(false, true);
    ipfix_builder b;
    b.template_set().template_record(257, {{8, 4}, {82, varlen_field}}).template_record(256, ipv4_flow);
    b.data_set(257).ipv4("10.0.0.1").varlen("eth0").ipv4("10.0.0.2");
    if (three_byte) b.u8(255).u8(0);        // a 3-byte length cut after its first length byte
    else b.u8(50).text("abc");              // 50 promised, 3 present
    b.data_set(256);
    ipv4_record(b, "10.0.0.1", "10.0.0.2", 1111, 80, 6, 1000, 10);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "record_past_set=1");
    REQUIRE(s.msg.records.size() == 2);
    CHECK(s.msg.records[0].tmpl->id == 257);
    CHECK(text_at(s.msg.records[0], 1) == "eth0");
    check_good_record(s.msg.records[1]);
    CHECK(s.counters().padding_bytes == 0);
}

TEST_CASE("ipfix fault: dataSetIdReserved", "[ipfix][fault]") {
    decode_session s;
    const uint16_t id = GENERATE(uint16_t{0}, uint16_t{1}, uint16_t{4}, uint16_t{255});
    auto b = good_start();
    b.begin_set(id).u32(0xDEADBEEF);
    b.data_set(256);
    ipv4_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 17, 1, 1);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "data_set_id_reserved=1");
    REQUIRE(s.msg.records.size() == 2);
    check_good_record(s.msg.records[0]);
}

TEST_CASE("ipfix: several faults in one message are each counted", "[ipfix][fault]") {
    decode_session s;
    auto b = good_start();
    b.template_set().template_record(10, {{8, 4}}).withdrawal(7);
    b.data_set(999).u32(0);
    b.begin_set(5).u32(0);
    b.data_set(256);
    ipv4_record(b, "10.0.0.5", "10.0.0.6", 1, 2, 17, 1, 1);
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) ==
          "template_id_reserved=1 withdrawal_invalid=1 unknown_template=1 data_set_id_reserved=1");
    CHECK(s.msg.malformed == 4);
    CHECK(s.msg.records.size() == 2);
    CHECK(s.counters().messages_ok == 0);
}
