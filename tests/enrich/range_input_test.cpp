// ipfix-asdb's input reader: range splitting, the three line shapes, CSV quoting, errors.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include "range_input.hpp"

using namespace ipfix::asdb;
using ipfix::enrich::u128;

namespace {

std::vector<network> read(const std::string& text, input_stats* stats_out = nullptr) {
    std::istringstream in(text);
    std::vector<network> out;
    input_stats stats;
    read_networks(in, "test.csv", out, stats);
    if (stats_out) *stats_out = stats;
    return out;
}

std::vector<std::string> cidrs(const std::vector<network>& nets) {
    std::vector<std::string> out;
    for (const auto& n : nets) out.push_back(n.cidr());
    return out;
}

template <class Key>
void check_split(Key first, Key last) {
    std::vector<std::pair<Key, unsigned>> blocks;
    split_range<Key>(first, last, [&](Key a, unsigned len) { blocks.emplace_back(a, len); });
    REQUIRE_FALSE(blocks.empty());
    Key next = first;
    for (const auto& [a, len] : blocks) {
        REQUIRE(a == next);
        REQUIRE(ipfix::enrich::prefix_of(a, len) == a);  // aligned
        next = static_cast<Key>(ipfix::enrich::prefix_last(a, len) + 1);
    }
    REQUIRE(static_cast<Key>(next - 1) == last);
    // Minimal: two neighbours never merge into their parent block.
    for (size_t i = 0; i + 1 < blocks.size(); ++i)
        if (blocks[i].second == blocks[i + 1].second && blocks[i].second > 0)
            REQUIRE(ipfix::enrich::prefix_of(blocks[i].first, blocks[i].second - 1) !=
                    ipfix::enrich::prefix_of(blocks[i + 1].first, blocks[i + 1].second - 1));
}

}  // namespace

TEST_CASE("split_range: exact, aligned, minimal covers") {
    check_split<uint32_t>(0, 0xffffffff);
    check_split<uint32_t>(0xffffffff, 0xffffffff);
    check_split<uint32_t>(0, 0);
    check_split<u128>(0, ~u128{0});
    check_split<u128>(~u128{0}, ~u128{0});
    std::vector<std::pair<uint32_t, unsigned>> b;
    split_range<uint32_t>(0x05000000, 0x05010203, [&](uint32_t a, unsigned len) { b.emplace_back(a, len); });
    // 5.0.0.0/16, 5.1.0.0/23, 5.1.2.0/30
    REQUIRE(b.size() == 3);
    CHECK(b[0] == std::pair<uint32_t, unsigned>{0x05000000, 16});
    CHECK(b[1] == std::pair<uint32_t, unsigned>{0x05010000, 23});
    CHECK(b[2] == std::pair<uint32_t, unsigned>{0x05010200, 30});
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2000; ++i) {
        uint32_t a = static_cast<uint32_t>(rng()), c = static_cast<uint32_t>(rng());
        if (i % 2) c = a + static_cast<uint32_t>(rng() % 5000);
        check_split<uint32_t>(std::min(a, c), std::max(a, c));
        u128 x = (u128{rng()} << 64) | rng(), y = (u128{rng()} << 64) | rng();
        check_split<u128>(std::min(x, y), std::max(x, y));
    }
}

TEST_CASE("CSV ranges in the @ip-location-db/asn format") {
    const auto n = read("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
                        "2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\n"
                        "2.21.28.0,2.21.31.255,3292,TDC Holding A/S\n"
                        "2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n");
    REQUIRE(n.size() >= 4);
    CHECK(n[0].cidr() == "1.0.0.0/24");
    CHECK(n[0].asn == 13335);
    CHECK(n[0].org == "Cloudflare, Inc.");
    CHECK(n[1].cidr() == "2.26.200.0/21");
    CHECK(n[1].org == "LLC \"SPUTNIK\"");
    CHECK(n[2].cidr() == "2.26.208.0/21");
    CHECK(n[3].cidr() == "2.21.28.0/22");
    CHECK(n[3].org == "TDC Holding A/S");
    CHECK(n[4].cidr() == "2001:200::/40");
    CHECK(n[4].v6);
}

TEST_CASE("prefix lines and pmacct networks_file lines") {
    input_stats stats;
    const auto n = read("# comment\n"
                        "! pmacct comment\n"
                        "\n"
                        "10.1.2.3/32,AS65003,Host route\n"
                        "65010,192.168.1.0/24\n"
                        "64512_65011,192.168.2.0/25\n"
                        "10.0.0.1,65012,192.168.4.0/23\n"
                        "CustID#1,,,192.168.5.0/24\n"
                        "192.168.6.0/24\n"
                        "172.16.0.0/12  65020\n"
                        "172.16.5.7/16,65021\n"
                        "2001:db8:1:2::1/128,65033,Org, with comma\n",
                        &stats);
    CHECK(cidrs(n) == std::vector<std::string>{"10.1.2.3/32", "192.168.1.0/24", "192.168.2.0/25", "192.168.4.0/23",
                                               "172.16.0.0/12", "172.16.0.0/16", "2001:db8:1:2::1/128"});
    CHECK(n[0].asn == 65003);
    CHECK(n[1].asn == 65010);
    CHECK(n[2].asn == 65011);
    CHECK(n[3].asn == 65012);
    CHECK(n[4].asn == 65020);
    CHECK(n[6].org == "Org, with comma");
    CHECK(stats.no_asn == 2);
    CHECK(stats.prefixes == 7);
    CHECK(stats.lines == 9);
}

TEST_CASE("malformed lines name the file and line") {
    auto error_of = [](const std::string& text) {
        try {
            read(text);
            return std::string{};
        } catch (const input_error& e) {
            return std::string(e.what());
        }
    };
    CHECK(error_of("1.0.0.0,1.0.0.255,13335\nnonsense here\n") == "test.csv:2: expected first_ip,last_ip,asn[,org], "
                                                                  "prefix/len,asn[,org] or a networks_file line");
    CHECK_THAT(error_of("1.0.0.255,1.0.0.0,1\n"), Catch::Contains("test.csv:1") && Catch::Contains("ends before"));
    CHECK_THAT(error_of("1.0.0.0,::1,1\n"), Catch::Contains("mixes"));
    CHECK_THAT(error_of("1.0.0.0,1.0.0.1,ASX\n"), Catch::Contains("not an AS number"));
    CHECK_THAT(error_of("1.0.0.0,1.0.0.1,4294967296\n"), Catch::Contains("not an AS number"));
    CHECK_THAT(error_of("10.0.0.0/33,1\n"), Catch::Contains("too long"));
    CHECK_THAT(error_of("10.0.0.0/x,1\n"), Catch::Contains("bad prefix length"));
    CHECK_THAT(error_of("1.0.0.0,1.0.0.1,5,\"open quote\n"), Catch::Contains("unbalanced"));
    CHECK_THAT(error_of("1.0.0.0,1.0.0.1\n"), Catch::Contains("test.csv:1"));
}

TEST_CASE("insert order: shorter prefixes first, equal prefixes keep input order") {
    auto n = read("10.1.2.3/32,3\n10.0.0.0/8,1\n10.1.0.0/16,2\n::/0,9\n10.0.0.0/8,4\n2001:db8::/32,5\n");
    order_for_insert(n);
    // IPv4 sits at ::/96 in the tree: /8 is /104 there.
    CHECK(cidrs(n) == std::vector<std::string>{"::/0", "2001:db8::/32", "10.0.0.0/8", "10.0.0.0/8", "10.1.0.0/16",
                                               "10.1.2.3/32"});
    CHECK(n[2].asn == 1);
    CHECK(n[3].asn == 4);
}

TEST_CASE("organisation names: invalid UTF-8 and control characters cleaned") {
    CHECK(clean_text("Z\xc3\xbcrich") == "Z\xc3\xbcrich");
    CHECK(clean_text("\xf0\x9f\x98\x80 ok") == "\xf0\x9f\x98\x80 ok");
    CHECK(clean_text("bad \xff byte") == "bad ? byte");
    CHECK(clean_text("cut \xc3") == "cut ?");
    CHECK(clean_text("overlong \xc0\xaf") == "overlong ??");
    CHECK(clean_text("surrogate \xed\xa0\x80") == "surrogate ???");
    CHECK(clean_text("tab\there\r\n") == "tab here  ");
}
