// NetFlow v5 decoding: the fixed 48-byte record read through the v5 template's IANA ids.
#include <catch2/catch.hpp>

#include <vector>

#include "decode_session.hpp"
#include "v5_builder.hpp"
#include "ipfix/proto/decoder.hpp"

using namespace ipfix;
using namespace ipfix::test;
using proto::known_field;
using proto::malformed;

namespace {

const v5_flow flow_a = {.src = "10.0.0.1", .dst = "198.51.100.7", .next_hop = "192.0.2.254", .input = 3,
                        .output = 7, .packets = 12, .octets = 9000, .first = 350000, .last = 359000,
                        .src_port = 40000, .dst_port = 443, .tcp_flags = 0x1B, .protocol = 6, .tos = 0x20,
                        .src_as = 64512, .dst_as = 15169, .src_mask = 24, .dst_mask = 16};
const v5_flow flow_b = {.src = "172.16.0.9", .dst = "10.0.0.1", .packets = 1, .octets = 76, .src_port = 53,
                        .dst_port = 33000, .protocol = 17, .src_as = 65535, .dst_as = 0};

void check_flow_a(const proto::record_view& r) {
    CHECK(r.tmpl == &proto::netflow_v5_template());
    CHECK(r.length == 48);
    CHECK(r.source_address().to_string() == "10.0.0.1");
    CHECK(r.destination_address().to_string() == "198.51.100.7");
    CHECK(r.next_hop().to_string() == "192.0.2.254");
    CHECK(r.bgp_next_hop().empty());
    CHECK(r.ingress_interface() == 3u);
    CHECK(r.egress_interface() == 7u);
    CHECK(r.packets() == 12u);
    CHECK(r.octets() == 9000u);
    CHECK(r.unsigned_value(known_field::flow_start_sys_up_time) == 350000u);
    CHECK(r.unsigned_value(known_field::flow_end_sys_up_time) == 359000u);
    CHECK(r.unsigned_value(known_field::source_port) == 40000u);
    CHECK(r.unsigned_value(known_field::destination_port) == 443u);
    CHECK(r.unsigned_value(known_field::protocol) == 6u);
    CHECK(r.source_as() == 64512u);
    CHECK(r.destination_as() == 15169u);
    // Fields without a known_field, by position in the v5 template.
    CHECK(r.spec(12).id == proto::ie::tcp_control_bits);
    CHECK(uint_at(r, 12) == 0x1Bu);
    CHECK(r.spec(14).id == proto::ie::ip_class_of_service);
    CHECK(uint_at(r, 14) == 0x20u);
    CHECK(r.spec(17).id == proto::ie::source_ipv4_prefix_length);
    CHECK(uint_at(r, 17) == 24u);
    CHECK(uint_at(r, 18) == 16u);
}

}  // namespace

TEST_CASE("v5: header and two flows", "[v5]") {
    decode_session s;
    const auto m = v5_builder({.sys_uptime_ms = 360000, .export_time = 1700000200, .export_nsecs = 500,
                               .sequence = 1000, .engine_type = 1, .engine_id = 2, .sampling = 0x4064})
                       .flow(flow_a)
                       .flow(flow_b)
                       .build();
    REQUIRE(m.size() == 24 + 2 * 48);
    REQUIRE(s.feed(m, 0, endpoint("192.0.2.50", 2055)));
    const proto::message_header& h = s.msg.header;
    CHECK(h.version == proto::protocol_version::netflow_v5);
    CHECK(h.count == 2);
    CHECK(h.sys_uptime_ms == 360000u);
    CHECK(h.export_time == 1700000200u);
    CHECK(h.export_nsecs == 500u);
    CHECK(h.sequence == 1000u);
    CHECK(h.domain == 0x0102u);
    CHECK(h.sampling == 0x4064);
    CHECK(h.length == m.size());
    CHECK(s.msg.stream.domain == 0x0102u);
    CHECK(s.msg.stream.version == proto::protocol_version::netflow_v5);
    CHECK(s.msg.template_events.empty());

    REQUIRE(s.msg.records.size() == 2);
    CHECK(s.msg.run_ends == std::vector<uint32_t>{2});  // one template, one run
    check_flow_a(s.msg.records[0]);
    const proto::record_view& b = s.msg.records[1];
    CHECK(b.source_address().to_string() == "172.16.0.9");
    CHECK(b.destination_address().to_string() == "10.0.0.1");
    CHECK(b.next_hop().to_string() == "0.0.0.0");
    CHECK(b.source_as() == 65535u);
    CHECK(b.destination_as() == 0u);
    CHECK(b.unsigned_value(known_field::protocol) == 17u);
    CHECK(b.data == s.msg.records[0].data + 48);

    CHECK(s.counters().records == 2);
    CHECK(s.counters().padding_bytes == 0);
    CHECK(malformed_summary(s.counters()).empty());
    CHECK(s.counters().messages_ok == 1);
}

TEST_CASE("v5: the v5 template is 48 bytes of IANA elements", "[v5]") {
    const proto::template_def& t = proto::netflow_v5_template();
    CHECK(t.version == proto::protocol_version::netflow_v5);
    CHECK(t.min_record_length == 48u);
    CHECK_FALSE(t.variable);
    REQUIRE(t.fixed_locs.size() == t.fields.size());
    CHECK(t.fixed_locs.back().offset + t.fixed_locs.back().length == 48);
    CHECK(t.fields[static_cast<size_t>(t.index_of(known_field::source_as))].length == 2);
}

TEST_CASE("v5: trailing bytes shorter than a record are padding", "[v5]") {
    decode_session s;
    auto b = v5_builder().flow(flow_a);
    b.zeros(47);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 1);
    check_flow_a(s.msg.records[0]);
    CHECK(s.counters().padding_bytes == 47);
    CHECK(malformed_summary(s.counters()).empty());
}

TEST_CASE("v5: a count under the flows present decodes only the count", "[v5]") {
    decode_session s;
    REQUIRE(s.feed(v5_builder().flow(flow_a).flow(flow_b).count(1).build()));
    REQUIRE(s.msg.records.size() == 1);
    check_flow_a(s.msg.records[0]);
    CHECK(s.counters().padding_bytes == 48);
}

TEST_CASE("v5 fault: truncatedHeader", "[v5][fault]") {
    decode_session s;
    auto m = v5_builder().flow(flow_a).build();
    m.resize(23);
    CHECK_FALSE(s.feed(m));
    CHECK(malformed_summary(s.counters()) == "truncated_header=1");
    CHECK(s.msg.records.empty());
}

TEST_CASE("v5 fault: v5Truncated (count promises more flows than present)", "[v5][fault]") {
    decode_session s;
    auto b = v5_builder({.sequence = 10}).flow(flow_a).flow(flow_b).count(3);
    b.zeros(20);  // part of a third record
    REQUIRE(s.feed(b.build()));
    CHECK(malformed_summary(s.counters()) == "v5_truncated=1");
    REQUIRE(s.msg.records.size() == 2);
    check_flow_a(s.msg.records[0]);
    CHECK(s.msg.records[1].source_address().to_string() == "172.16.0.9");
    CHECK(s.counters().padding_bytes == 20);
    CHECK(s.counters().messages_ok == 0);
}

TEST_CASE("v5: engine type and id keep streams apart", "[v5]") {
    decode_session s;
    REQUIRE(s.feed(v5_builder({.sequence = 0, .engine_id = 1}).flow(flow_a).build()));
    REQUIRE(s.feed(v5_builder({.sequence = 0, .engine_id = 2}).flow(flow_a).build()));
    REQUIRE(s.feed(v5_builder({.sequence = 1, .engine_id = 1}).flow(flow_a).build()));
    REQUIRE(s.feed(v5_builder({.sequence = 1, .engine_id = 2}).flow(flow_a).build()));
    CHECK(s.dec.templates().stream_count() == 2);
    CHECK(s.counters().sequence_gaps == 0);
    CHECK(s.counters().sequence_reordered == 0);
}
