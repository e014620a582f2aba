// ip_address: parsing, printing, equality and hashing of IPv4 / IPv6 values.
#include <catch2/catch.hpp>

#include <unordered_set>

#include "ipfix/proto/ip_address.hpp"

using ipfix::proto::ip_address;
using ipfix::proto::ip_address_hash;

TEST_CASE("ip_address: parse and print", "[ip]") {
    const auto v4 = ip_address::parse("192.0.2.1");
    REQUIRE(v4);
    CHECK(v4->family == 4);
    CHECK(v4->size() == 4);
    CHECK(v4->bytes[0] == 192);
    CHECK(v4->bytes[3] == 1);
    CHECK(v4->to_string() == "192.0.2.1");
    CHECK(*v4 == ip_address::v4_host(0xC0000201u));

    const auto v6 = ip_address::parse("2001:db8::1");
    REQUIRE(v6);
    CHECK(v6->family == 6);
    CHECK(v6->size() == 16);
    CHECK(v6->bytes[0] == 0x20);
    CHECK(v6->bytes[15] == 1);
    CHECK(v6->to_string() == "2001:db8::1");

    CHECK_FALSE(ip_address::parse(""));
    CHECK_FALSE(ip_address::parse("300.1.1.1"));
    CHECK_FALSE(ip_address::parse("not an address"));
    CHECK(ip_address{}.empty());
    CHECK(ip_address{}.to_string().empty());
}

TEST_CASE("ip_address: equality and hashing tell families apart", "[ip]") {
    const uint8_t b[16] = {10, 0, 0, 1};
    const ip_address a4 = ip_address::v4(b);
    const ip_address a6 = ip_address::v6(b);
    CHECK_FALSE(a4 == a6);
    std::unordered_set<ip_address, ip_address_hash> set{a4, a6, a4};
    CHECK(set.size() == 2);
}

TEST_CASE("ip_address: of_size reads a field of 4 bytes as IPv4, 16 as IPv6, any other as none", "[ip]") {
    const uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(ip_address::of_size(b, 4).to_string() == "32.1.13.184");
    CHECK(ip_address::of_size(b, 16).to_string() == "2001:db8::1");
    CHECK(ip_address::of_size(b, 6).empty());
    CHECK(ip_address::of_size(b, 0).empty());
}
