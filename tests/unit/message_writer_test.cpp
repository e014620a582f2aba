// proto::message_writer judged two ways: its bytes against the hand builders in tests/support,
// and its messages decoded again by proto::decoder, field by field. Plus the MTU-full behaviour.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "byte_writer.hpp"
#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "v9_builder.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/message_writer.hpp"

using namespace ipfix;
using namespace ipfix::test;
using proto::field_spec;
using proto::message_writer;
using proto::protocol_version;

namespace {

std::vector<uint8_t> to_vector(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

std::vector<field> as_builder_fields(const std::vector<field_spec>& specs) {
    std::vector<field> out;
    for (const field_spec& f : specs) out.push_back({f.id, f.length, f.pen});
    return out;
}

const std::vector<field_spec> flow_fields = {{8, 4}, {12, 4}, {16, 4}, {17, 4}, {1, 8}, {2, 4}};

std::vector<uint8_t> flow_record(const char* src, const char* dst, uint32_t src_as, uint32_t dst_as,
                                 uint64_t octets, uint32_t packets) {
    byte_writer w;
    w.ipv4(src).ipv4(dst).u32(src_as).u32(dst_as).u64(octets).u32(packets);
    return w.take();
}

}  // namespace

TEST_CASE("writer: IPFIX bytes equal the hand-built message", "[writer]") {
    std::array<uint8_t, 1500> buf{};
    message_writer w(buf, protocol_version::ipfix);
    w.begin(1700000000, 42, 7);
    const std::vector<field_spec> fields = {{8, 4}, {14, 2, 6871}, {82, proto::variable_length}};
    REQUIRE(w.add_template(256, fields, 0));
    const std::vector<field_spec> opt = {{149, 4, 0, true}, {41, 8}};
    REQUIRE(w.add_template(257, opt, 1));
    REQUIRE(w.add_withdrawal(300, false));
    REQUIRE(w.begin_data_set(256));
    const auto rec = byte_writer().ipv4("10.0.0.1").u16(3).varlen("eth0").take();
    REQUIRE(w.add_record(rec));
    REQUIRE(w.add_record(rec));
    const auto written = to_vector(w.finish());

    ipfix_builder b({.export_time = 1700000000, .sequence = 42, .domain = 7});
    b.template_set().template_record(256, as_builder_fields(fields));
    b.options_template_set().options_template_record(257, 1, as_builder_fields(opt));
    b.template_set().withdrawal(300);
    b.data_set(256).bytes(rec).bytes(rec);
    CHECK(written == b.build());
    CHECK(w.data_records() == 2);
}

TEST_CASE("writer: v9 bytes equal the hand-built packet (flowsets padded to 4)", "[writer]") {
    std::array<uint8_t, 1500> buf{};
    message_writer w(buf, protocol_version::netflow_v9);
    w.begin(1700000000, 9, 0x01000002, 3600000);
    const std::vector<field_spec> fields = {{8, 4}, {12, 4}, {4, 1}};
    const std::vector<field_spec> opt = {{2, 4, 0, true}, {34, 4}, {35, 1}};
    REQUIRE(w.add_template(256, fields, 0));
    REQUIRE(w.add_template(258, opt, 1));
    REQUIRE(w.begin_data_set(256));
    const auto rec = byte_writer().ipv4("10.0.0.1").ipv4("10.0.0.2").u8(6).take();
    REQUIRE(w.add_record(rec));
    REQUIRE(w.add_record(rec));
    REQUIRE(w.add_record(rec));
    const auto written = to_vector(w.finish());

    v9_builder b({.sys_uptime_ms = 3600000, .export_time = 1700000000, .sequence = 9, .source_id = 0x01000002});
    b.template_flowset().template_record(256, as_builder_fields(fields)).align_set(4);
    b.options_template_flowset().options_template_record(258, {{2, 4}}, {{34, 4}, {35, 1}}).align_set(4);
    b.data_flowset(256).record().bytes(rec).record().bytes(rec).record().bytes(rec).align_set(4);
    const auto expected = b.build();
    CHECK(written == expected);
    CHECK(written.size() % 4 == 0);
    // The v9 count is every record: two templates and three data records.
    CHECK(written[2] == 0);
    CHECK(written[3] == 5);
}

TEST_CASE("writer: IPFIX round trip through the decoder, field by field", "[writer][roundtrip]") {
    std::array<uint8_t, 1500> buf{};
    message_writer w(buf, protocol_version::ipfix);
    w.begin(1700000500, 1000, 3);
    const std::vector<field_spec> opt = {{149, 4, 0, true}, {8, 4, 0, true}, {41, 8}, {42, 8}};
    const std::vector<field_spec> vfields = {{27, 16}, {96, proto::variable_length}, {15, 4, 9}};
    REQUIRE(w.add_template(256, flow_fields, 0));
    REQUIRE(w.add_template(257, vfields, 0));
    REQUIRE(w.add_template(258, opt, 2));
    REQUIRE(w.begin_data_set(256));
    REQUIRE(w.add_record(flow_record("10.0.0.1", "10.0.0.2", 64500, 4200000000u, 123456789012ull, 100)));
    REQUIRE(w.add_record(flow_record("10.0.0.3", "10.0.0.4", 1, 2, 3, 4)));
    REQUIRE(w.begin_data_set(257));
    REQUIRE(w.add_record(byte_writer().ipv6("2001:db8::1").varlen3("dns").u32(99).take()));
    REQUIRE(w.begin_data_set(258));
    REQUIRE(w.add_record(byte_writer().u32(3).ipv4("192.0.2.1").u64(10).u64(20).take()));
    const auto m = to_vector(w.finish());
    CHECK(w.data_records() == 4);

    decode_session s;
    REQUIRE(s.feed(m));
    CHECK(s.msg.header.length == m.size());
    CHECK(s.msg.header.export_time == 1700000500u);
    CHECK(s.msg.header.sequence == 1000u);
    CHECK(s.msg.header.domain == 3u);
    CHECK(malformed_summary(s.counters()).empty());

    REQUIRE(s.msg.template_events.size() == 3);
    CHECK(s.msg.template_events[0].def->fields == flow_fields);
    CHECK(s.msg.template_events[1].def->fields == vfields);
    CHECK(s.msg.template_events[2].def->fields == opt);
    CHECK(s.msg.template_events[2].def->options);
    CHECK(s.msg.template_events[2].def->scope_count == 2);

    REQUIRE(s.msg.records.size() == 4);
    const proto::record_view& r0 = s.msg.records[0];
    CHECK(r0.source_address().to_string() == "10.0.0.1");
    CHECK(r0.destination_address().to_string() == "10.0.0.2");
    CHECK(r0.source_as() == 64500u);
    CHECK(r0.destination_as() == 4200000000u);
    CHECK(r0.octets() == 123456789012ull);
    CHECK(r0.packets() == 100u);
    CHECK(s.msg.records[1].packets() == 4u);
    const proto::record_view& r2 = s.msg.records[2];
    CHECK(r2.source_address().to_string() == "2001:db8::1");
    CHECK(text_at(r2, 1) == "dns");
    CHECK(r2.spec(2).pen == 9u);
    CHECK(uint_at(r2, 2) == 99u);
    CHECK(r2.next_hop().empty());  // enterprise 15 is not ipNextHopIPv4Address
    const proto::record_view& r3 = s.msg.records[3];
    CHECK(uint_at(r3, 0) == 3u);
    CHECK(uint_at(r3, 3) == 20u);
    CHECK(s.counters().options_records == 1);
}

TEST_CASE("writer: v9 round trip through the decoder, field by field", "[writer][roundtrip]") {
    std::array<uint8_t, 1500> buf{};
    message_writer w(buf, protocol_version::netflow_v9);
    w.begin(1700000600, 77, 5, 99000);
    const std::vector<field_spec> opt = {{1, 4, 0, true}, {34, 4}, {35, 1}};
    REQUIRE(w.add_template(256, flow_fields, 0));
    REQUIRE(w.add_template(300, opt, 1));
    REQUIRE(w.begin_data_set(300));
    REQUIRE(w.add_record(byte_writer().u32(1).u32(1000).u8(2).take()));
    REQUIRE(w.begin_data_set(256));
    REQUIRE(w.add_record(flow_record("10.0.0.1", "10.0.0.2", 64500, 64501, 5000, 5)));
    const auto m = to_vector(w.finish());
    CHECK(m.size() % 4 == 0);

    decode_session s;
    REQUIRE(s.feed(m));
    CHECK(s.msg.header.version == protocol_version::netflow_v9);
    CHECK(s.msg.header.count == 4);
    CHECK(s.msg.header.sys_uptime_ms == 99000u);
    CHECK(s.msg.header.export_time == 1700000600u);
    CHECK(s.msg.header.sequence == 77u);
    CHECK(s.msg.header.domain == 5u);
    CHECK(malformed_summary(s.counters()).empty());
    REQUIRE(s.msg.template_events.size() == 2);
    CHECK(s.msg.template_events[0].def->fields == flow_fields);
    CHECK(s.msg.template_events[1].def->fields == opt);
    CHECK(s.msg.template_events[1].def->scope_count == 1);
    REQUIRE(s.msg.records.size() == 2);
    CHECK(uint_at(s.msg.records[0], 1) == 1000u);
    CHECK(uint_at(s.msg.records[0], 2) == 2u);
    const proto::record_view& r = s.msg.records[1];
    CHECK(r.source_address().to_string() == "10.0.0.1");
    CHECK(r.destination_address().to_string() == "10.0.0.2");
    CHECK(r.source_as() == 64500u);
    CHECK(r.destination_as() == 64501u);
    CHECK(r.octets() == 5000u);
    CHECK(r.packets() == 5u);
}

TEST_CASE("writer: a decoded template re-sent unchanged has the same wire bytes", "[writer][roundtrip]") {
    const protocol_version v = GENERATE(protocol_version::ipfix, protocol_version::netflow_v9);
    std::vector<uint8_t> in;
    if (v == protocol_version::ipfix) {
        ipfix_builder b;
        b.template_set().template_record(256, {{8, 4}, {14, 2, 6871}, {82, varlen_field}});
        b.options_template_set().options_template_record(257, 1, {{149, 4}, {41, 8}});
        in = b.build();
    } else {
        v9_builder b;
        b.template_flowset().template_record(256, {{8, 4}, {0x8001, 2}});
        b.options_template_flowset().options_template_record(257, {{2, 4}}, {{34, 4}}).align_set(4);
        in = b.build();
    }
    decode_session s;
    REQUIRE(s.feed(in));
    REQUIRE(s.msg.template_events.size() == 2);
    for (const proto::template_event& ev : s.msg.template_events) {
        std::array<uint8_t, 512> buf{};
        message_writer w(buf, v);
        w.begin(0, 0, 0);
        REQUIRE(w.add_template(*ev.def));
        const auto out = to_vector(w.finish());
        const std::vector<uint8_t> record(out.begin() + static_cast<long>(w.header_size()) + 4,
                                          out.begin() + static_cast<long>(w.header_size() + 4 + ev.def->wire.size()));
        CHECK(record == ev.def->wire);
    }
}

TEST_CASE("writer: withdrawals decode as withdrawals; v9 has none", "[writer][withdrawal]") {
    decode_session s;
    REQUIRE(s.feed(ipfix_builder().template_set().template_record(256, {{8, 4}}).template_record(257, {{8, 4}})
                       .build()));
    std::array<uint8_t, 100> buf{};
    message_writer w(buf, protocol_version::ipfix);
    w.begin(0, 0, 0);
    REQUIRE(w.add_withdrawal(256, false));
    REQUIRE(w.add_withdrawal(2, false));
    REQUIRE(s.feed(to_vector(w.finish())));
    REQUIRE(s.msg.template_events.size() == 2);
    CHECK(s.msg.template_events[0].id == 256);
    CHECK(s.msg.template_events[1].id == 2);
    CHECK(s.counters().templates_withdrawn == 2);
    CHECK(s.dec.templates().template_count() == 0);

    message_writer v9(buf, protocol_version::netflow_v9);
    v9.begin(0, 0, 0);
    CHECK_FALSE(v9.add_withdrawal(256, false));
    CHECK(v9.empty());
}

TEST_CASE("writer: set bookkeeping", "[writer]") {
    std::array<uint8_t, 200> buf{};
    message_writer w(buf, protocol_version::ipfix);
    w.begin(1, 2, 3);
    CHECK(w.empty());
    CHECK(w.size() == 16);
    CHECK_FALSE(w.begin_data_set(255));
    CHECK(w.append_record(4) == nullptr);  // no data set open
    REQUIRE(w.begin_data_set(256));
    CHECK(w.open_set_id() == 256);
    // An empty set is dropped when it closes.
    CHECK(w.finish().size() == 16);

    REQUIRE(w.add_template(256, flow_fields, 0));
    REQUIRE(w.begin_data_set(256));
    uint8_t* p = w.append_record(4);
    REQUIRE(p != nullptr);
    CHECK(p == buf.data() + w.size() - 4);
    w.begin(1, 2, 3);  // starts again, discarding everything
    CHECK(w.empty());
    CHECK(w.data_records() == 0);
    CHECK(w.finish().size() == 16);
}

TEST_CASE("writer: MTU-full, add_* returns false and the message stays valid", "[writer][mtu]") {
    const protocol_version v = GENERATE(protocol_version::ipfix, protocol_version::netflow_v9);
    const size_t mtu = GENERATE(size_t{64}, size_t{100}, size_t{101}, size_t{102}, size_t{103}, size_t{576});
    std::vector<uint8_t> buf(mtu);
    message_writer w(buf, v);
    w.begin(1700000000, 0, 1);
    const std::vector<field_spec> fields = {{8, 4}, {12, 4}, {4, 1}, {7, 2}};  // 11-byte records
    REQUIRE(w.add_template(256, fields, 0));
    REQUIRE(w.begin_data_set(256));
    const auto rec = byte_writer().ipv4("10.0.0.1").ipv4("10.0.0.2").u8(17).u16(53).take();
    uint32_t written = 0;
    while (w.add_record(rec)) ++written;  // bounded by the buffer
    CHECK(written == w.data_records());
    CHECK(written > 0);
    const size_t full = w.size();
    CHECK(full <= mtu);
    // Nothing else fits either, and failing leaves the message as it was.
    CHECK_FALSE(w.add_template(257, fields, 0));
    CHECK_FALSE(w.add_record(rec));
    CHECK(w.size() == full);
    CHECK(w.open_set_id() == 256);

    const auto m = to_vector(w.finish());
    CHECK(m.size() <= mtu);
    if (v == protocol_version::netflow_v9) CHECK(m.size() % 4 == 0);
    decode_session s;
    REQUIRE(s.feed(m));
    CHECK(malformed_summary(s.counters()).empty());
    REQUIRE(s.msg.records.size() == written);
    CHECK(s.msg.records.back().destination_address().to_string() == "10.0.0.2");
    if (v == protocol_version::ipfix) CHECK(s.msg.header.length == m.size());
    else CHECK(s.msg.header.count == written + 1);
}

TEST_CASE("writer: v9 options template that exactly fills the MTU is still padded", "[writer][mtu]") {
    // 20 header + 4 flowset header + 14 options template record: the pad has no room.
    std::vector<uint8_t> buf(38);
    message_writer w(buf, protocol_version::netflow_v9);
    w.begin(0, 0, 0);
    const std::vector<field_spec> opt = {{1, 4, 0, true}, {34, 4}};
    CHECK_FALSE(w.add_template(300, opt, 1));
    CHECK(w.empty());
    std::vector<uint8_t> bigger(40);
    message_writer w2(bigger, protocol_version::netflow_v9);
    w2.begin(0, 0, 0);
    REQUIRE(w2.add_template(300, opt, 1));
    const auto m = to_vector(w2.finish());
    CHECK(m.size() == 40);
    decode_session s;
    REQUIRE(s.feed(m));
    CHECK(s.counters().templates_learned == 1);
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("writer: a buffer smaller than the header holds nothing", "[writer][mtu]") {
    std::array<uint8_t, 12> buf{};
    message_writer w(buf, protocol_version::ipfix);
    w.begin(0, 0, 0);
    CHECK_FALSE(w.add_template(256, flow_fields, 0));
    CHECK_FALSE(w.add_withdrawal(256, false));
    CHECK_FALSE(w.begin_data_set(256));
    CHECK(w.finish().empty());
}
