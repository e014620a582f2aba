// The compiled table against libmaxminddb, address by address: every network's first and last
// address (and its neighbours), the IPv4 twins of the ::/96 subtree, the alias regions, and
// random addresses, on MaxMind's test databases and on databases built here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <span>

#include "ipfix/enrich/ip_key.hpp"
#include "ipfix/enrich/table_loader.hpp"
#include "mmdb_oracle.hpp"
#include "test_data.hpp"

using namespace ipfix::enrich;
using enrich_test::built_path;
using enrich_test::data_path;
using enrich_test::expected;
using ipfix::proto::ip_address;

namespace {

// The table's answer; `consistent` is false when its found flag disagrees with its fields.
expected from_table(const prefix_table& t, const ip_address& a, bool& consistent) {
    const as_info i = t.lookup(a);
    expected e{i.asn, std::string(i.org), std::string(i.country)};
    consistent = i.found == e.found();
    return e;
}

ip_address v6_of(u128 key) {
    ip_address a;
    a.family = 6;
    v6_bytes(key, a.bytes.data());
    return a;
}

u128 key_of(const ip_address& a) { return a.family == 4 ? u128{v4_key(a.bytes.data())} : v6_key(a.bytes.data()); }

ip_address same_family(const ip_address& like, u128 key) {
    return like.family == 4 ? ip_address::v4_host(static_cast<uint32_t>(key)) : v6_of(key);
}

std::vector<ip_address> probe_addresses(const std::vector<std::unique_ptr<enrich_test::mmdb_oracle>>& oracles,
                                        size_t random_count) {
    std::vector<ip_address> out;
    std::mt19937_64 rng(20261125);
    std::vector<enrich_test::network> all;
    for (const auto& o : oracles) {
        const auto nets = o->networks();
        all.insert(all.end(), nets.begin(), nets.end());
    }
    for (const auto& n : all) {
        for (const ip_address& a : {n.first, n.last}) {
            out.push_back(a);
            // The IPv4 address of the ::/96 subtree.
            if (a.family == 6 && key_of(a) >> 32 == 0) out.push_back(ip_address::v4(a.bytes.data() + 12));
        }
        const u128 first = key_of(n.first), last = key_of(n.last);
        const u128 max = n.first.family == 4 ? u128{UINT32_MAX} : ~u128{0};
        if (first != 0) out.push_back(same_family(n.first, first - 1));
        if (last != max) out.push_back(same_family(n.first, last + 1));
        const u128 span = last - first;
        const u128 r = (u128{rng()} << 64) | rng();
        out.push_back(same_family(n.first, first + (span == max ? r : r % (span + 1))));
    }
    for (size_t i = 0; i < random_count; ++i) {
        const u128 r = (u128{rng()} << 64) | rng();
        out.push_back(ip_address::v4_host(static_cast<uint32_t>(r)));
        out.push_back(v6_of(r));
        out.push_back(v6_of((u128{0x2} << 124) | (r >> 4)));                        // 2000::/4
        out.push_back(v6_of((u128{0xffff} << 32) | static_cast<uint32_t>(r)));       // ::ffff:0:0/96
        out.push_back(v6_of(static_cast<uint32_t>(r)));                              // ::/96
        out.push_back(v6_of((u128{0x2002} << 112) | (r >> 16)));                     // 6to4
        out.push_back(v6_of((u128{0x20010000} << 96) | (r >> 32)));                  // Teredo
        if (!all.empty()) {
            const auto& n = all[rng() % all.size()];
            const u128 first = key_of(n.first), span = key_of(n.last) - first;
            out.push_back(same_family(n.first, first + (span == ~u128{0} ? r : r % (span + 1))));
        }
    }
    return out;
}

// Loads the files as one table and compares it with the files' own answers, merged field by field.
void check_against_libmaxminddb(const std::vector<std::string>& paths, size_t random_count = 20000) {
    for (const auto& p : paths) REQUIRE_FALSE(p.empty());
    const auto table = load_table(paths);
    std::vector<std::unique_ptr<enrich_test::mmdb_oracle>> oracles;
    for (const auto& p : paths) oracles.push_back(std::make_unique<enrich_test::mmdb_oracle>(p));

    const auto addrs = probe_addresses(oracles, random_count);
    size_t mismatches = 0, found = 0;
    for (const auto& a : addrs) {
        expected want;
        for (const auto& o : oracles) want = enrich_test::overlay(want, o->lookup(a));
        bool consistent = true;
        const expected got = from_table(*table, a, consistent);
        found += want.found();
        if (!(got == want && consistent) && ++mismatches <= 10)
            FAIL_CHECK(a.to_string() << ": table asn=" << got.asn << " org='" << got.org << "' country='"
                                     << got.country << "', libmaxminddb asn=" << want.asn << " org='" << want.org
                                     << "' country='" << want.country << "'");
    }
    INFO(addrs.size() << " addresses, " << found << " found");
    CHECK(mismatches == 0);

    // The burst lookup answers what find() answers, whatever the burst size and family mix.
    std::vector<uint32_t> burst(addrs.size());
    for (size_t at = 0, size = 1; at < addrs.size(); at += size, size = size % 97 + 1)
        table->find_burst(std::span<const ip_address>(addrs.data() + at, std::min(size, addrs.size() - at)),
                          burst.data() + at);
    size_t burst_mismatches = 0;
    for (size_t i = 0; i < addrs.size(); ++i) burst_mismatches += burst[i] != table->find(addrs[i]);
    CHECK(burst_mismatches == 0);
    CHECK(found >= 50);  // the probe really exercises data, not only misses
}

}  // namespace

TEST_CASE("GeoLite2 ASN test database: every network and random addresses agree with libmaxminddb") {
    check_against_libmaxminddb({data_path("GeoLite2-ASN-Test.mmdb")});
}

TEST_CASE("GeoLite2 Country test database (country.iso_code) agrees with libmaxminddb") {
    check_against_libmaxminddb({data_path("GeoLite2-Country-Test.mmdb")});
}

TEST_CASE("ASN and country databases merged into one table agree with both") {
    check_against_libmaxminddb({data_path("GeoLite2-ASN-Test.mmdb"), data_path("GeoLite2-Country-Test.mmdb")});
    const auto t = load_table({data_path("GeoLite2-ASN-Test.mmdb"), data_path("GeoLite2-Country-Test.mmdb")});
    REQUIRE(t->sources().size() == 2);
    CHECK(t->sources()[0].database_type == "GeoLite2-ASN");
    CHECK(t->sources()[0].has_asn);
    CHECK_FALSE(t->sources()[0].has_country);
    CHECK(t->sources()[1].has_country);
    // One lookup serves both: 2.125.160.216 is only in the country database.
    const auto i = t->lookup(*ip_address::parse("2.125.160.216"));
    CHECK(i.found);
    CHECK(i.asn == 0);
    CHECK(i.country == "GB");
    const auto j = t->lookup(*ip_address::parse("1.128.0.0"));
    CHECK(j.asn == 1221);
    CHECK(j.org == "Telstra Pty Ltd");
}

TEST_CASE("IPv4 lookups work on IPv6 databases: ::/96 subtree and its aliases") {
    const auto t = load_table({data_path("GeoLite2-ASN-Test.mmdb")});
    // 1.128.0.0/11 is AS1221 in the test database; MaxMind aliases ::ffff:0:0/96, 2001::/32 and
    // 2002::/16 to the IPv4 subtree.
    for (const char* a : {"1.128.0.0", "1.159.255.255", "::1.128.0.0", "::ffff:1.130.0.1", "2002:180:0::",
                          "2002:19f:ffff:ffff::1", "2001:0:180:1::"}) {
        INFO(a);
        CHECK(t->lookup(*ip_address::parse(a)).asn == 1221);
    }
    CHECK_FALSE(t->lookup(*ip_address::parse("1.160.0.0")).found);
    CHECK_FALSE(t->lookup(*ip_address::parse("2002:1a0::")).found);
}

TEST_CASE("databases built by ipfix-asdb agree with libmaxminddb") {
    const std::string ranges = built_path("asn_ranges.mmdb"), nets = built_path("networks.mmdb");
    if (ranges.empty() || nets.empty()) {
        WARN("not built (no libmaxmind-db-writer-perl): skipped");
        return;
    }
    SECTION("CSV ranges") { check_against_libmaxminddb({ranges}); }
    SECTION("prefix lines") { check_against_libmaxminddb({nets}); }
}

TEST_CASE("CSV ranges: boundaries, quoted and UTF-8 names, both ends of both spaces") {
    const std::string path = built_path("asn_ranges.mmdb");
    if (path.empty()) {
        WARN("not built: skipped");
        return;
    }
    const auto t = load_table({path});
    auto at = [&](const char* a) { return t->lookup(*ip_address::parse(a)); };
    CHECK(at("1.0.0.0").org == "Cloudflare, Inc.");
    CHECK(at("1.0.0.255").asn == 13335);
    CHECK_FALSE(at("1.0.1.0").found);
    CHECK(at("2.26.207.1").org == "LLC \"SPUTNIK\"");
    // 5.0.0.0 - 5.1.2.3 is no CIDR: split into prefixes that end exactly there.
    CHECK(at("5.0.0.0").asn == 64500);
    CHECK(at("5.1.2.3").asn == 64500);
    CHECK(at("5.1.2.4").asn == 64501);
    CHECK_FALSE(at("5.1.2.5").found);
    CHECK(at("31.1.2.3").org == "Z\xc3\xbcrich \xc3\x9cmlaut AG");
    CHECK(at("255.255.255.255").asn == 64503);
    CHECK(at("223.255.255.0").asn == 64503);
    CHECK_FALSE(at("223.255.254.255").found);
    CHECK(at("2001::1").asn == 6939);
    CHECK(at("2a00:1450:4001:80b::200e").asn == 15169);
    CHECK_FALSE(at("2a00:1450:4001:80b::200f").found);
    CHECK(at("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").asn == 64504);
    CHECK(at("::ffff:1.0.0.1").asn == 13335);  // IPv4-mapped IPv6 uses the IPv4 table
}

TEST_CASE("nested prefixes: the longest match wins whatever the input order") {
    const std::string path = built_path("networks.mmdb");
    if (path.empty()) {
        WARN("not built: skipped");
        return;
    }
    const auto t = load_table({path});
    auto asn = [&](const char* a) { return t->lookup(*ip_address::parse(a)).asn; };
    CHECK(asn("10.1.2.3") == 65003);
    CHECK(asn("10.1.2.4") == 65002);
    CHECK(asn("10.1.2.2") == 65002);
    CHECK(asn("10.1.3.0") == 65001);
    CHECK(asn("10.2.0.0") == 65000);
    CHECK(asn("10.255.255.255") == 65000);
    CHECK(asn("11.0.0.0") == 64999);  // 0.0.0.0/0
    CHECK(asn("0.0.0.0") == 64999);
    CHECK(asn("192.168.1.7") == 65010);
    CHECK(asn("192.168.2.100") == 65011);
    CHECK(asn("192.168.2.200") == 64999);  // outside the /25
    CHECK(asn("192.168.4.1") == 65012);
    CHECK(asn("192.168.5.255") == 65012);
    CHECK(asn("192.168.6.1") == 64999);  // networks_file lines without an AS
    CHECK(asn("192.168.7.1") == 64999);
    CHECK(asn("172.31.0.1") == 65020);
    CHECK(asn("172.16.200.1") == 65021);
    CHECK(asn("198.51.100.1") == 65041);
    CHECK(asn("2001:db8:1:2::1") == 65033);
    CHECK(asn("2001:db8:1:2::2") == 65032);
    CHECK(asn("2001:db8:1:3::") == 65031);
    CHECK(asn("2001:db8:2::") == 65030);
    CHECK(asn("2001:db9::") == 0);
    CHECK(t->lookup(*ip_address::parse("10.1.2.3")).org == "Host route");
    CHECK(t->lookup(*ip_address::parse("10.1.2.4")).org.empty());
}

TEST_CASE("country schemas and tree shapes agree with libmaxminddb") {
    for (const char* name : {"country_flat.mmdb", "country_v4only.mmdb", "no_ipv4_tree.mmdb", "ipinfo_style.mmdb"}) {
        const std::string path = built_path(name);
        if (path.empty()) {
            WARN("not built: skipped");
            return;
        }
        INFO(name);
        check_against_libmaxminddb({path});
    }
}

TEST_CASE("flat country_code schema") {
    const std::string path = built_path("country_flat.mmdb");
    if (path.empty()) {
        WARN("not built: skipped");
        return;
    }
    const auto t = load_table({path});
    CHECK(t->sources()[0].has_country);
    CHECK_FALSE(t->sources()[0].has_asn);
    auto cc = [&](const char* a) { return std::string(t->lookup(*ip_address::parse(a)).country); };
    CHECK(cc("1.2.3.4") == "JP");
    CHECK(cc("1.2.4.4") == "CN");
    CHECK(cc("1.3.0.0") == "AU");
    CHECK(cc("2001:db8:8000::1") == "FR");
    CHECK(cc("2001:db8::1") == "DE");
    CHECK(cc("8.8.8.8").empty());
}

TEST_CASE("IPv4-only database (ip_version 4)") {
    const std::string path = built_path("country_v4only.mmdb");
    if (path.empty()) {
        WARN("not built: skipped");
        return;
    }
    const auto t = load_table({path});
    CHECK(t->sources()[0].ip_version == 4);
    CHECK(t->lookup(*ip_address::parse("8.8.8.8")).country == "US");
    CHECK(t->lookup(*ip_address::parse("::ffff:8.8.8.8")).country == "US");
    CHECK_FALSE(t->lookup(*ip_address::parse("2001:db8::1")).found);
}

TEST_CASE("IPv6 database whose ::/64 is a leaf: every IPv4 address gets that record") {
    const std::string path = built_path("no_ipv4_tree.mmdb");
    if (path.empty()) {
        WARN("not built: skipped");
        return;
    }
    const auto t = load_table({path});
    CHECK(t->lookup(*ip_address::parse("1.2.3.4")).country == "ZZ");
    CHECK(t->lookup(*ip_address::parse("255.255.255.255")).country == "ZZ");
    CHECK(t->lookup(*ip_address::parse("2001:db8::")).country == "DE");
    CHECK_FALSE(t->lookup(*ip_address::parse("2001:db9::")).found);
}

TEST_CASE("IPinfo-style fields: asn as \"AS123\" string, as_name, country_code") {
    const std::string path = built_path("ipinfo_style.mmdb");
    if (path.empty()) {
        WARN("not built: skipped");
        return;
    }
    const auto t = load_table({path});
    const auto g = t->lookup(*ip_address::parse("8.8.8.8"));
    CHECK(g.asn == 15169);
    CHECK(g.org == "Google LLC");
    CHECK(g.country == "US");
    CHECK(t->lookup(*ip_address::parse("2606:4700::1")).asn == 13335);
    const auto q = t->lookup(*ip_address::parse("9.9.9.9"));  // unparsable asn: the rest still counts
    CHECK(q.asn == 0);
    CHECK(q.org == "Quad9");
}

TEST_CASE("merging databases with different IPv4 aliasing") {
    const std::string ranges = built_path("asn_ranges.mmdb"), flat = built_path("country_flat.mmdb");
    if (ranges.empty() || flat.empty()) {
        WARN("not built: skipped");
        return;
    }
    SECTION("neither aliases: exact agreement") { check_against_libmaxminddb({ranges, flat}); }
    SECTION("an alias region of one file serves the merged IPv4 table where the other file has nothing") {
        // GeoLite2-ASN-Test aliases 2002::/16 to IPv4; country_flat has no data there, so
        // 2002:0180:: takes AS1221 and the IPv4 country of 1.128.0.0 (AU, from 1.0.0.0/8).
        const auto t = load_table({data_path("GeoLite2-ASN-Test.mmdb"), flat});
        const auto i = t->lookup(*ip_address::parse("2002:180::"));
        CHECK(i.asn == 1221);
        CHECK(i.country == "AU");
        CHECK(t->lookup(*ip_address::parse("2001:db8::1")).country == "DE");
    }
    SECTION("a file's own data wins over the other file's alias, in either order") {
        // GeoLite2-ASN-Test aliases Teredo 2001::/32; asn_ranges has AS6939 there.
        for (bool ranges_first : {true, false}) {
            const auto t = ranges_first ? load_table({ranges, data_path("GeoLite2-ASN-Test.mmdb")})
                                        : load_table({data_path("GeoLite2-ASN-Test.mmdb"), ranges});
            CHECK(t->lookup(*ip_address::parse("2001::1")).asn == 6939);
            CHECK(t->lookup(*ip_address::parse("1.128.0.0")).asn == 1221);
            CHECK(t->lookup(*ip_address::parse("1.0.0.1")).asn == (ranges_first ? 15169u : 13335u));
        }
    }
}
