// The retention block codec's datagram path: records encoded straight from a decoded datagram
// come back exactly as summarize() gives them (IPFIX with millisecond and second times, a
// variable-length template, IPv6, NetFlow v9 uptime times, v5; enrichment's values and flags),
// options records left out; a block mixing datagrams and summaries keeps their order; and a
// block written in format 1 or 2 (by the encoders before format 3) still reads, field by field.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "decode_session.hpp"
#include "retention_old_blocks.hpp"
#include "ipfix_builder.hpp"
#include "v5_builder.hpp"
#include "v9_builder.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/store/retention_codec.hpp"

using namespace ipfix;
using namespace ipfix::test;
using namespace std::string_literals;
using pipeline::flow_summary;

namespace {

std::string describe(const flow_summary& s) {
    std::string o = std::to_string(s.seen_ms) + " " + std::to_string(s.flow_start_ms) + "-" +
                    std::to_string(s.flow_end_ms) + " " + s.exporter.to_string() + ":" +
                    std::to_string(s.exporter_port);
    o += " v" + std::to_string(s.version) + " d" + std::to_string(s.domain) + " t" + std::to_string(s.template_id);
    o += " " + s.source.to_string() + ":" + std::to_string(s.source_port) + ">" + s.destination.to_string() + ":" +
         std::to_string(s.destination_port) + " p" + std::to_string(s.protocol);
    o += " as" + std::to_string(s.source_as) + (s.source_as_filled ? "*" : "") + ">" +
         std::to_string(s.destination_as) + (s.destination_as_filled ? "*" : "");
    o += " cc" + std::string(s.source_country.data(), 2) + "/" + std::string(s.destination_country.data(), 2);
    o += " " + std::to_string(s.bytes) + "B " + std::to_string(s.packets) + "P if" +
         std::to_string(s.input_interface) + "/" + std::to_string(s.output_interface) + "\n";
    return o;
}

std::string decoded(std::string_view block) {
    std::string out;
    REQUIRE(store::decode_block(block, [&](const flow_summary& s) {
        out += describe(s);
        return true;
    }));
    return out;
}

// What the header says: "records first_seen-last_seen".
std::string header_of(std::string_view block) {
    store::block_info info;
    REQUIRE(store::read_block_info(block, info));
    return std::to_string(info.records) + " " + std::to_string(info.first_seen_ms) + "-" +
           std::to_string(info.last_seen_ms);
}

// Enrichment's values for record i of a datagram: every other record had both AS numbers written.
mediate::record_values values_for(size_t i) {
    mediate::record_values v;
    v.source_as = 64600 + static_cast<uint32_t>(i);
    v.destination_as = 4200000000u + static_cast<uint32_t>(i);
    v.write_source_as = i % 2 == 0;
    v.write_destination_as = i % 2 == 0;
    if (i % 3 != 2) v.source_country = {'N', 'L'};
    if (i % 2 == 1) v.destination_country = {'J', 'P'};
    return v;
}

// Decodes each message, encodes its records into one block and returns (decoded block, what
// summarize() gives for the same records).
std::pair<std::string, std::string> through_codec(const std::vector<std::vector<uint8_t>>& messages,
                                                  const proto::exporter_endpoint& from, size_t want_records) {
    proto::decoder dec;
    proto::decoded_message msg;
    store::block_encoder e;
    std::string want;
    uint64_t seen = 1'700'000'002'000;
    size_t total = 0;
    for (const auto& m : messages) {
        REQUIRE(dec.decode(from, m, seen, msg));
        std::vector<mediate::record_values> values;
        size_t data = 0;
        for (size_t i = 0; i < msg.records.size(); ++i) {
            values.push_back(values_for(i));
            if (msg.records[i].tmpl->options) continue;
            ++data;
            want += describe(pipeline::summarize(msg, msg.records[i], values.back(), seen));
        }
        CHECK(e.add(pipeline::tapped_datagram{msg, values, seen, data}) == data);
        total += data;
        seen += 7;
    }
    CHECK(total == want_records);
    CHECK(e.records() == want_records);
    const std::string block = e.finish();
    CHECK(header_of(block) == std::to_string(want_records) + " 1700000002000-" + std::to_string(seen - 7));
    return {decoded(block), want};
}

}  // namespace

TEST_CASE("retention codec: IPFIX datagrams encode every data record as summarize() gives it", "[retention]") {
    auto flows = ipfix_builder({.export_time = 1700000000, .sequence = 0, .domain = 7})
                     .template_set()
                     .template_record(300, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 4}, {16, 2},
                                            {152, 8}, {151, 4}, {10, 4}, {14, 4}})
                     .template_record(301, {{27, 16}, {28, 16}, {7, 4}, {11, 2}, {4, 1}, {1, 4}, {17, 4}, {150, 4}})
                     // Variable length: the interface name between the addresses and the ports.
                     .template_record(302, {{8, 4}, {82, 65535}, {12, 4}, {7, 2}, {11, 2}, {2, 8}})
                     .options_template_set()
                     .options_template_record(303, 1, {{149, 4}, {41, 8}})
                     .data_set(300)
                     .ipv4("10.1.2.3").ipv4("192.0.2.77").u16(51000).u16(443).u8(6).u64(123456789).u32(4321)
                     .u16(64500).u64(1699999999123).u32(1700000001).u32(11).u32(12)
                     .ipv4("10.1.2.4").ipv4("192.0.2.78").u16(51001).u16(80).u8(17).u64(uint64_t{1} << 50).u32(1)
                     .u16(0).u64(1700000005000).u32(1700000001).u32(0).u32(0)
                     .data_set(303)
                     .u32(7).u64(99)
                     .data_set(301)
                     .ipv6("2001:db8::1").ipv6("2001:db8:ffff::2").u32(70000).u16(53).u8(17).u32(900).u32(65010)
                     .u32(1699999990)
                     .data_set(302)
                     .ipv4("172.16.0.1").varlen("ge-0/0/1").ipv4("172.16.0.2").u16(1234).u16(22).u64(17)
                     .ipv4("172.16.0.3").varlen("").ipv4("172.16.0.4").u16(1235).u16(23).u64(18)
                     .build();
    // A second datagram from the same exporter, data only: a new group in the same block.
    auto more = ipfix_builder({.export_time = 1700000001, .sequence = 5, .domain = 7})
                    .data_set(300)
                    .ipv4("10.9.9.9").ipv4("10.8.8.8").u16(1).u16(2).u8(1).u64(0).u32(0).u16(65535).u64(0).u32(0)
                    .u32(5).u32(6)
                    .build();
    const auto [got, want] = through_codec({flows, more}, endpoint("198.51.100.9", 4739), 6);
    CHECK(got == want);
    // The values as summarize() gives them, spelled out for the first record and the IPv6 one.
    CHECK(want.find("1700000002000 1699999999123-1700000001000 198.51.100.9:4739 v10 d7 t300 "
                    "10.1.2.3:51000>192.0.2.77:443 p6 as64600*>4200000000* ccNL/\0\0 123456789B 4321P if11/12\n"s) == 0);
    // Port 70000 in a 4-byte field: cut to 16 bits (4464) as summarize() does.
    CHECK(want.find(" 1699999990000-0 198.51.100.9:4739 v10 d7 t301 2001:db8::1:4464>2001:db8:ffff::2:53 p17 "
                    "as64603>65010 ccNL/JP 900B 0P if0/0\n") != std::string::npos);
}

TEST_CASE("retention codec: a set's integers take the bytes its records' values need", "[retention]") {
    // Reduced-size encoding (RFC 7011 section 6.2) of what the exporter sent in 8 bytes: octets,
    // then a 4-byte AS number, whose values decide the bytes the whole set keeps.
    const auto block_size = [](uint64_t octets, uint32_t as) {
        const auto m = ipfix_builder({.domain = 1})
                           .template_set().template_record(256, {{1, 8}, {8, 4}, {16, 4}})
                           .data_set(256).u64(5).ipv4("10.0.0.1").u32(0).u64(octets).ipv4("10.0.0.2").u32(as)
                           .build();
        proto::decoder dec;
        proto::decoded_message msg;
        REQUIRE(dec.decode(endpoint(), m, 1000, msg));
        const std::vector<mediate::record_values> values(2);  // nothing written: the record's AS kept
        store::block_encoder e;
        CHECK(e.add(pipeline::tapped_datagram{msg, values, 1000, 2}) == 2);
        const std::string block = e.finish();
        CHECK(decoded(block) == describe(pipeline::summarize(msg, msg.records[0], values[0], 1000)) +
                                    describe(pipeline::summarize(msg, msg.records[1], values[1], 1000)));
        return block.size();
    };
    // Octets: 1 byte a record up to 255, 8 past 2^56; the AS at least a byte, as the record has one.
    CHECK(block_size(uint64_t{1} << 56, 0) - block_size(255, 0) == 2 * 7);
    CHECK(block_size(256, 0) - block_size(255, 0) == 2);
    CHECK(block_size(255, 65536) - block_size(255, 255) == 2 * 2);
}

TEST_CASE("retention codec: NetFlow v9 and v5 uptime times, as summarize() places them", "[retention]") {
    auto v9 = v9_builder({.sys_uptime_ms = 360000, .export_time = 1700000000, .sequence = 1, .source_id = 3})
                  .template_flowset()
                  .template_record(256, {{8, 4}, {12, 4}, {4, 1}, {1, 4}, {2, 4}, {22, 4}, {21, 4}, {16, 4}, {17, 4}})
                  .align_set(4)
                  .data_flowset(256)
                  .record().ipv4("10.0.0.1").ipv4("10.0.0.2").u8(6).u32(1000).u32(10).u32(350000).u32(359000)
                  .u32(0).u32(15169)
                  .record().ipv4("10.0.0.3").ipv4("10.0.0.4").u8(17).u32(2000).u32(20).u32(0).u32(0)
                  .u32(64512).u32(0)
                  .align_set(4)
                  .build();
    const auto [got9, want9] = through_codec({v9}, endpoint("192.0.2.9", 2055), 2);
    CHECK(got9 == want9);
    CHECK(want9.find(" 1699999990000-1699999999000 192.0.2.9:2055 v9 d3 t256 ") != std::string::npos);

    auto v5 = v5_builder({.sys_uptime_ms = 360000, .export_time = 1700000000, .sequence = 5})
                  .flow({.src = "10.0.0.1", .dst = "10.0.0.2", .packets = 3, .octets = 180, .first = 350000,
                         .last = 359500, .src_port = 53, .dst_port = 40000, .protocol = 17, .src_as = 65010,
                         .dst_as = 65020})
                  .build();
    const auto [got5, want5] = through_codec({v5}, endpoint("192.0.2.5", 2055), 1);
    CHECK(got5 == want5);
    CHECK(want5.find(" 1699999990000-1699999999500 192.0.2.5:2055 v5 ") != std::string::npos);
}

TEST_CASE("retention codec: summaries and datagrams share a block, in order", "[retention]") {
    proto::decoder dec;
    proto::decoded_message msg;
    const auto m = ipfix_builder({.domain = 1})
                       .template_set().template_record(256, {{8, 4}, {12, 4}, {7, 2}})
                       .data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2").u16(5).ipv4("10.0.0.3").ipv4("10.0.0.4").u16(6)
                       .build();
    REQUIRE(dec.decode(endpoint(), m, 1000, msg));
    const std::vector<mediate::record_values> values{values_for(0), values_for(1)};
    store::block_encoder e;
    flow_summary s;
    s.seen_ms = 900;  // earlier than the datagram: the block's first seen time
    s.exporter = *proto::ip_address::parse("192.0.2.99");
    s.version = 10;
    s.bytes = 77;
    e.add(s);
    CHECK(e.add(pipeline::tapped_datagram{msg, values, 1000, 2}) == 2);
    // The same stream at the same time: its records join the open group.
    CHECK(e.add(pipeline::tapped_datagram{msg, values, 1000, 2}) == 2);
    s.seen_ms = 1000;  // same time, another exporter: its own group
    e.add(s);
    const std::string datagram = describe(pipeline::summarize(msg, msg.records[0], values[0], 1000)) +
                                 describe(pipeline::summarize(msg, msg.records[1], values[1], 1000));
    std::string want = datagram + datagram + describe(s);
    s.seen_ms = 900;
    want.insert(0, describe(s));
    const std::string block = e.finish();
    CHECK(decoded(block) == want);
    CHECK(header_of(block) == "6 900-1000");
    // One group header for both datagrams: smaller than two groups a millisecond apart.
    store::block_encoder one, two;
    one.add(pipeline::tapped_datagram{msg, values, 1000, 2});
    one.add(pipeline::tapped_datagram{msg, values, 1000, 2});
    two.add(pipeline::tapped_datagram{msg, values, 1000, 2});
    two.add(pipeline::tapped_datagram{msg, values, 1001, 2});
    // seen delta, exporter, version, domain: a byte each; template id 2; count 3; the layout 12.
    CHECK(one.finish().size() + 21 == two.finish().size());
}

TEST_CASE("retention codec: a format-1 block still reads", "[retention]") {
    const std::string v1 = format_1_block();
    CHECK(header_of(v1) == "2 1700000000120-1700000000123");
    CHECK(decoded(v1) ==
          "1700000000123 1700000000000-1700000000200 192.0.2.1:40000 v10 d7 t256 10.0.0.1:1024>2001:db8::9:443 p6 "
          "as64500*>15169 ccDE/\0\0 1500B 3P if3/70000\n"
          "1700000000120 0-0 2001:db8::7:2055 v9 d1 t300 198.51.100.9:0>:0 p17 as0>64501* cc\0\0/US "
          "1099511627776B 1P if0/0\n"s);
    // Truncated: refused, never read past.
    for (size_t n = 0; n < v1.size(); ++n) {
        CHECK_FALSE(store::decode_block(std::string_view(v1).substr(0, n), [](const flow_summary&) { return true; }));
    }
}

TEST_CASE("retention codec: a block is refused when cut short or holding what the writer never makes",
          "[retention]") {
    store::block_encoder e;
    flow_summary s;
    s.seen_ms = 1;
    s.exporter = *proto::ip_address::parse("192.0.2.1");
    s.source = *proto::ip_address::parse("10.0.0.1");
    s.destination = *proto::ip_address::parse("10.0.0.2");
    s.source_as = 64500;
    s.bytes = 1;
    e.add(s);
    const std::string block = e.finish();
    for (size_t n = 0; n < block.size(); ++n) {
        CHECK_FALSE(store::decode_block(std::string_view(block).substr(0, n), [](const flow_summary&) { return true; }));
    }
    // The header (26 bytes) and the group's key (seen, exporter, version, domain, template: a
    // byte each; the count 3), then its layout: IPv4 both sides and times in milliseconds, then
    // the eleven widths (the source AS number 10th, in 2 bytes), then the record's flags.
    const size_t layout = 26 + 8;
    REQUIRE(static_cast<uint8_t>(block[layout]) == (1 | 1 << 2 | 1 << 4 | 1 << 6));
    REQUIRE(block[layout + 1 + 9] == 2);
    CHECK(decoded(block) == describe(s));
    const auto refused = [&block](size_t at, uint8_t value) {
        std::string bad = block;
        bad[at] = static_cast<char>(value);
        return !store::decode_block(bad, [](const flow_summary&) { return true; });
    };
    CHECK(refused(layout, 3 | 1 << 2 | 1 << 4 | 1 << 6));  // no address family 3
    CHECK(refused(layout + 1 + 9, 9));                     // an integer wider than 8 bytes
    CHECK(refused(layout + 1 + 11, 0x10));                 // a flag no writer sets
    CHECK_FALSE(refused(layout + 1 + 11, 0));              // the same place, a flag it does
}

TEST_CASE("retention codec: a format-2 block still reads", "[retention]") {
    const std::string v2 = format_2_block();
    CHECK(header_of(v2) == "3 1700000000499-1700000000500");
    CHECK(decoded(v2) ==
          "1700000000500 1700000000000-1700000000600 192.0.2.1:40000 v10 d7 t256 10.0.0.1:1024>2001:db8::9:443 p6 "
          "as64500*>4200000000 ccDE/US 1500B 3P if3/70000\n"
          "1700000000500 0-1700000000123 2001:db8::7:2055 v9 d1 t300 198.51.100.9:0>:0 p17 as0>64501* cc\0\0/\0\0 "
          "1099511627776B 18446744073709551615P if0/0\n"
          "1700000000499 1700000000000-1700000000600 192.0.2.1:40000 v10 d7 t256 10.0.0.1:1024>2001:db8::9:443 p6 "
          "as64500*>4200000000 cc\0\0/US 0B 0P if0/0\n"s);
    for (size_t n = 0; n < v2.size(); ++n) {
        CHECK_FALSE(store::decode_block(std::string_view(v2).substr(0, n), [](const flow_summary&) { return true; }));
    }
}

TEST_CASE("retention codec: values of every length read back, a byte longer past each byte boundary",
          "[retention]") {
    // Counters, interfaces, AS numbers and flow times on each side of every width a value takes,
    // up to 8 bytes; a summary's integers take the bytes their values need.
    const uint64_t seen = 1'700'000'000'000;
    auto block_with = [seen](uint64_t counters, uint64_t other) {
        store::block_encoder e;
        flow_summary s;
        s.seen_ms = seen;
        s.exporter = *proto::ip_address::parse("192.0.2.1");
        s.version = 10;
        s.bytes = counters;
        s.packets = counters;
        s.input_interface = static_cast<uint32_t>(other);
        s.source_as = static_cast<uint32_t>(other >> 32);
        s.flow_start_ms = other;
        s.flow_end_ms = seen;
        e.add(s);
        const std::string block = e.finish();
        CHECK(decoded(block) == describe(s));
        return block.size();
    };
    for (unsigned k = 1; k < 8; ++k) {
        const uint64_t boundary = uint64_t{1} << (8 * k);
        INFO("2^" << 8 * k);
        // bytes and packets: a byte longer each past the boundary
        CHECK(block_with(boundary, 0) - block_with(boundary - 1, 0) == 2);
        block_with(0, boundary - 1);
        block_with(0, boundary);
    }
    CHECK(block_with(UINT64_MAX, 0) - block_with(uint64_t{1} << 56, 0) == 0);  // 8 bytes both
    block_with(0, UINT64_MAX);
    block_with(0, seen);
}
