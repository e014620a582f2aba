// for_each_enrichment_fields hands over, for every record in order, exactly what the
// record_view accessors give: over every template shape its compiled loops cover and the ones
// left to the accessors, runs of one template split by others, options records, v5 and v9.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "decode_session.hpp"
#include "ipfix/proto/enrichment_fields.hpp"
#include "ipfix_builder.hpp"
#include "v5_builder.hpp"
#include "v9_builder.hpp"

using namespace ipfix;
using namespace ipfix::test;

namespace {

struct seen {
    size_t index;
    const proto::record_view* record;
    proto::ip_address source;
    proto::ip_address destination;
    size_t source_size;
    size_t destination_size;
    std::optional<uint64_t> source_as;
    std::optional<uint64_t> destination_as;
};

std::vector<seen> visit(const proto::decoded_message& msg) {
    std::vector<seen> out;
    proto::for_each_enrichment_fields(msg, [&](size_t i, const proto::record_view& r, const proto::enrichment_fields& v) {
        out.push_back({i, &r, v.source_address.address(), v.destination_address.address(), v.source_address.size,
                       v.destination_address.size, v.source_as, v.destination_as});
    });
    return out;
}

// Every record once, in order, each value as its accessor gives it.
void check_against_accessors(const proto::decoded_message& msg) {
    const std::vector<seen> got = visit(msg);
    REQUIRE(got.size() == msg.records.size());
    for (size_t i = 0; i < got.size(); ++i) {
        INFO("record " << i << " of template " << msg.records[i].tmpl->id);
        const proto::record_view& r = msg.records[i];
        CHECK(got[i].index == i);
        CHECK(got[i].record == &r);
        CHECK(got[i].source == r.source_address());
        CHECK(got[i].destination == r.destination_address());
        CHECK(got[i].source_size == r.source_address().size());
        CHECK(got[i].destination_size == r.destination_address().size());
        CHECK(got[i].source_as == r.source_as());
        CHECK(got[i].destination_as == r.destination_as());
    }
}

// IANA element ids.
constexpr uint16_t src4 = 8, dst4 = 12, src6 = 27, dst6 = 28, src_as = 16, dst_as = 17, port = 7, octets = 1;

}  // namespace

TEST_CASE("enrichment fields: every IPFIX template shape, runs split by other templates", "[enrichment_fields]") {
    decode_session s;
    ipfix_builder b;
    b.template_set()
        // Compiled loops: both families, AS numbers of 4, 2 and no bytes, in any order in the record.
        .template_record(256, {{src4, 4}, {dst4, 4}, {src_as, 4}, {dst_as, 4}})
        .template_record(257, {{dst_as, 2}, {src6, 16}, {port, 2}, {dst6, 16}, {src_as, 2}})
        .template_record(258, {{octets, 8}, {dst4, 4}, {src4, 4}, {src_as, 4}})
        .template_record(259, {{src6, 16}, {dst6, 16}})
        // The accessors' way: a family each way, an address alone, 8- and 3-byte AS numbers,
        // no address at all, a variable-length template with an address after its variable field.
        .template_record(260, {{src4, 4}, {dst6, 16}, {src_as, 4}, {dst_as, 4}})
        .template_record(261, {{src4, 4}, {src_as, 8}, {dst_as, 3}})
        .template_record(262, {{src_as, 4}, {dst_as, 2}, {octets, 4}})
        .template_record(263, {{src4, 4}, {82, varlen_field}, {dst4, 4}, {src_as, 4}, {dst_as, 2}})
        .template_record(264, {{src4, 4}, {dst4, 4}, {src_as, 1}})
        // Compiled too: all four before the first variable-length field.
        .template_record(265, {{dst_as, 4}, {src4, 4}, {dst4, 4}, {src_as, 2}, {82, varlen_field}, {port, 2}});
    b.data_set(256)
        .ipv4("10.0.0.1").ipv4("10.0.0.2").u32(64500).u32(4200000000u)
        .ipv4("10.0.0.3").ipv4("10.0.0.4").u32(0).u32(1);
    b.data_set(257)
        .u16(65001).ipv6("2001:db8::1").u16(443).ipv6("2001:db8::2").u16(65002)
        .u16(0).ipv6("2001:db8::3").u16(80).ipv6("::").u16(0xFFFF);
    b.data_set(256).ipv4("192.0.2.1").ipv4("198.51.100.1").u32(7).u32(8);
    b.data_set(258).u64(1500).ipv4("10.1.0.2").ipv4("10.1.0.1").u32(64501);
    b.data_set(259).ipv6("2001:db8::a").ipv6("2001:db8::b").ipv6("::1").ipv6("fe80::1");
    b.data_set(260).ipv4("10.2.0.1").ipv6("2001:db8::c").u32(64502).u32(64503);
    b.data_set(261).ipv4("10.3.0.1").u64(4200000001u).u8(0x01).u8(0x02).u8(0x03);
    b.data_set(262).u32(64504).u16(64505).u32(99);
    b.data_set(263).ipv4("10.4.0.1").varlen("eth0").ipv4("10.4.0.2").u32(64506).u16(64507)
        .ipv4("10.4.0.3").varlen("").ipv4("10.4.0.4").u32(64508).u16(64509);
    b.data_set(264).ipv4("10.5.0.1").ipv4("10.5.0.2").u8(200);
    b.data_set(257).u16(1).ipv6("2001:db8::d").u16(53).ipv6("2001:db8::e").u16(2);
    b.data_set(265)
        .u32(64520).ipv4("10.6.0.1").ipv4("10.6.0.2").u16(64521).varlen("a much longer name").u16(1)
        .u32(64522).ipv4("10.6.0.3").ipv4("10.6.0.4").u16(64523).varlen("").u16(2);
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 17);
    check_against_accessors(s.msg);

    // The values themselves, where the accessors' own tests do not already pin them.
    const std::vector<seen> got = visit(s.msg);
    CHECK(got[0].source.to_string() == "10.0.0.1");
    CHECK(got[1].destination_as == 1u);
    CHECK(got[2].source.to_string() == "2001:db8::1");
    CHECK(got[2].source_as == 65002u);
    CHECK(got[2].destination_as == 65001u);
    CHECK(got[3].destination_as == 0u);   // zero is a value, not an absence
    CHECK(got[3].source_as == 0xFFFFu);
    CHECK(got[5].source.to_string() == "10.1.0.1");
    CHECK(got[5].destination_as == std::nullopt);
    CHECK(got[6].source_as == std::nullopt);
    CHECK(got[8].source_size == 4);
    CHECK(got[8].destination_size == 16);
    CHECK(got[9].source_as == 4200000001u);
    CHECK(got[9].destination_as == 0x010203u);
    CHECK(got[10].source_size == 0);
    CHECK(got[10].destination_size == 0);
    CHECK(got[10].source_as == 64504u);
    CHECK(got[12].destination.to_string() == "10.4.0.4");
    CHECK(got[12].destination_as == 64509u);
    CHECK(got[13].source_as == 200u);
    CHECK(got[14].destination.to_string() == "2001:db8::e");
    CHECK(got[16].source.to_string() == "10.6.0.3");
    CHECK(got[16].source_as == 64523u);
    CHECK(got[16].destination_as == 64522u);
}

TEST_CASE("enrichment fields: options records come too, with what their template holds", "[enrichment_fields]") {
    decode_session s;
    ipfix_builder b;
    b.options_template_set().options_template_record(300, 1, {{144, 4}, {src4, 4}, {src_as, 4}});
    b.template_set().template_record(256, {{src4, 4}, {dst4, 4}});
    b.data_set(300).u32(1).ipv4("10.9.0.1").u32(64510);
    b.data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2");
    REQUIRE(s.feed(b.build()));
    REQUIRE(s.msg.records.size() == 2);
    check_against_accessors(s.msg);
    CHECK(s.msg.records[0].tmpl->options);
}

TEST_CASE("enrichment fields: NetFlow v5 and v9", "[enrichment_fields]") {
    SECTION("v5: IPv4 with 2-byte AS numbers") {
        decode_session s;
        v5_builder b;
        b.flow({.src = "10.0.0.1", .dst = "10.0.0.2", .src_as = 64512, .dst_as = 65535});
        b.flow({.src = "10.0.0.3", .dst = "10.0.0.4"});
        REQUIRE(s.feed(b.build()));
        REQUIRE(s.msg.records.size() == 2);
        check_against_accessors(s.msg);
        const std::vector<seen> got = visit(s.msg);
        CHECK(got[0].source_as == 64512u);
        CHECK(got[0].destination_as == 65535u);
        CHECK(got[1].source_as == 0u);
    }
    SECTION("v9: two templates, one with 4-byte AS numbers, one without any") {
        decode_session s;
        v9_builder b;
        b.template_flowset()
            .template_record(256, {{src4, 4}, {dst4, 4}, {src_as, 4}, {dst_as, 4}})
            .template_record(257, {{src6, 16}, {dst6, 16}});
        b.data_flowset(256).record().ipv4("10.0.0.1").ipv4("10.0.0.2").u32(64513).u32(64514);
        b.data_flowset(257).record().ipv6("2001:db8::1").ipv6("2001:db8::2");
        b.data_flowset(256).record().ipv4("10.0.0.3").ipv4("10.0.0.4").u32(1).u32(2);
        REQUIRE(s.feed(b.build()));
        REQUIRE(s.msg.records.size() == 3);
        check_against_accessors(s.msg);
        CHECK(visit(s.msg)[2].destination_as == 2u);
    }
}

TEST_CASE("enrichment fields: an empty message calls nothing", "[enrichment_fields]") {
    decode_session s;
    ipfix_builder b;
    b.template_set().template_record(256, {{src4, 4}});
    REQUIRE(s.feed(b.build()));
    CHECK(s.msg.records.empty());
    CHECK(visit(s.msg).empty());
}
