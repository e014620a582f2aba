// prefix_table built from parts: the attribute rows, the IPv4 alias regions of the IPv6 space,
// IPv4-mapped addresses, and refusal of inconsistent parts.
#include <catch2/catch.hpp>

#include "ipfix/enrich/prefix_table.hpp"

using namespace ipfix::enrich;
using ipfix::proto::ip_address;

namespace {

u128 v6(const char* text) { return v6_key(ip_address::parse(text)->bytes.data()); }

table_parts sample_parts() {
    table_parts p;
    p.orgs = {"", "Example Org", "Other Org"};
    p.attributes = {as_attributes{}, as_attributes{64500, 1, {'D', 'E'}}, as_attributes{64501, 2, {}},
                    as_attributes{0, 0, {'F', 'R'}}};
    p.v4 = {{0, 0}, {0x0a000000, 1}, {0x0a010000, 2}, {0x0a020000, 1}, {0x0b000000, 0}, {0xc0000000, 3}};
    p.v6 = {{0, 0},
            {v6("::1:0:0"), 0},  // ::/96 alias: a real loader would put v4_alias_base + 96 at ::
            {v6("2001:db8::"), 2},
            {v6("2001:db9::"), 0},
            {v6("2002::"), v4_alias_base + 16},
            {v6("2003::"), 0}};
    p.v6[0].value = v4_alias_base + 96;
    return p;
}

}  // namespace

TEST_CASE("prefix_table: rows, names, countries") {
    const prefix_table t(sample_parts());
    const auto a = t.lookup(*ip_address::parse("10.0.0.1"));
    CHECK(a.found);
    CHECK(a.asn == 64500);
    CHECK(a.org == "Example Org");
    CHECK(a.country == "DE");
    CHECK(t.lookup(*ip_address::parse("10.1.255.255")).org == "Other Org");
    CHECK(t.lookup(*ip_address::parse("10.1.255.255")).country.empty());
    CHECK(t.lookup(*ip_address::parse("10.2.0.0")).asn == 64500);
    CHECK_FALSE(t.lookup(*ip_address::parse("11.0.0.0")).found);
    const auto fr = t.lookup(*ip_address::parse("200.1.1.1"));
    CHECK(fr.found);
    CHECK(fr.asn == 0);
    CHECK(fr.country == "FR");
    CHECK(t.stats().attributes == 4);
    CHECK(t.stats().orgs == 3);
    CHECK(t.stats().memory_bytes > 0);
    CHECK_FALSE(t.lookup(ip_address{}).found);  // no address
}

TEST_CASE("prefix_table: IPv4 inside the IPv6 space") {
    const prefix_table t(sample_parts());
    CHECK(t.lookup(*ip_address::parse("::ffff:10.0.0.1")).asn == 64500);  // IPv4-mapped
    CHECK(t.lookup(*ip_address::parse("::10.1.0.1")).asn == 64501);       // ::/96 alias
    CHECK(t.lookup(*ip_address::parse("2002:a01:1::")).asn == 64501);     // 6to4 10.1.0.1
    CHECK(t.lookup(*ip_address::parse("2002:c000:1::")).country == "FR");
    CHECK_FALSE(t.lookup(*ip_address::parse("2002:0b00::")).found);
    CHECK(t.lookup(*ip_address::parse("2001:db8::1")).asn == 64501);
    CHECK_FALSE(t.lookup(*ip_address::parse("::1:0:1")).found);
}

TEST_CASE("prefix_table: find_burst answers like find, mixed families and no address") {
    const prefix_table t(sample_parts());
    std::vector<ip_address> in;
    for (const char* a : {"10.0.0.1", "::ffff:10.0.0.1", "::10.1.0.1", "2002:a01:1::", "2001:db8::1", "11.0.0.0",
                          "200.1.1.1", "2002:c000:1::", "::1:0:1"})
        in.push_back(*ip_address::parse(a));
    in.push_back(ip_address{});
    std::vector<uint32_t> out(in.size(), 99);
    t.find_burst(in, out.data());
    for (size_t i = 0; i < in.size(); ++i) {
        INFO(in[i].to_string());
        CHECK(out[i] == t.find(in[i]));
    }
    CHECK(out.back() == 0);
}

TEST_CASE("prefix_table: the empty table misses everything") {
    const prefix_table t;
    CHECK_FALSE(t.lookup(*ip_address::parse("10.0.0.1")).found);
    CHECK_FALSE(t.lookup(*ip_address::parse("2001:db8::1")).found);
    CHECK_FALSE(t.lookup(*ip_address::parse("::ffff:10.0.0.1")).found);
    CHECK(t.sources().empty());
}

TEST_CASE("prefix_table: inconsistent parts are refused") {
    auto bad_value = sample_parts();
    bad_value.v4.back().value = 4;
    CHECK_THROWS_AS(prefix_table(bad_value), std::invalid_argument);
    auto bad_alias = sample_parts();
    bad_alias.v6.back().value = v4_alias_base + 97;
    CHECK_THROWS_AS(prefix_table(bad_alias), std::invalid_argument);
    auto bad_org = sample_parts();
    bad_org.attributes[1].org = 3;
    CHECK_THROWS_AS(prefix_table(bad_org), std::invalid_argument);
    auto bad_row0 = sample_parts();
    bad_row0.attributes[0].asn = 1;
    CHECK_THROWS_AS(prefix_table(bad_row0), std::invalid_argument);
}
