#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "ipfix/io/socket_address.hpp"
#include "loopback.hpp"

using ipfix::io::socket_address;

TEST_CASE("socket_address parses and formats host:port and [v6]:port", "[io][socket_address]") {
    for (const char* text : {"192.0.2.1:2055", "0.0.0.0:0", "255.255.255.255:65535", "[2001:db8::1]:2055",
                             "[::]:9999", "[::1]:1", "[::ffff:192.0.2.1]:4739"}) {
        INFO(text);
        const auto a = socket_address::parse(text);
        REQUIRE(a);
        CHECK(a->to_string() == text);
        CHECK(socket_address::parse(a->to_string()) == a);
    }
    const auto v4 = socket_address::parse("192.0.2.1:2055");
    CHECK(v4->address.family == 4);
    CHECK(v4->address.bytes[0] == 192);
    CHECK(v4->address.bytes[3] == 1);
    CHECK(v4->port == 2055);
    const auto v6 = socket_address::parse("[2001:db8::1]:443");
    CHECK(v6->address.family == 6);
    CHECK(v6->address.bytes[0] == 0x20);
    CHECK(v6->address.bytes[1] == 0x01);
    CHECK(v6->address.bytes[15] == 1);
    CHECK(v6->port == 443);
    // Compressed forms are written back in RFC 5952 form.
    CHECK(socket_address::parse("[2001:0db8:0:0:0:0:0:0001]:7")->to_string() == "[2001:db8::1]:7");
}

TEST_CASE("socket_address parse says what is wrong", "[io][socket_address]") {
    const std::pair<const char*, const char*> cases[] = {
        {"", "expected host:port"},
        {"192.0.2.1", "expected host:port"},
        {":2055", "no address"},
        {"192.0.2.1:", "port '' is not a number"},
        {"192.0.2.1:65536", "port '65536' is not a number 0..65535"},
        {"192.0.2.1:-1", "port '-1'"},
        {"192.0.2.1:+1", "port '+1'"},
        {"192.0.2.1:20x", "port '20x'"},
        {"192.0.2.1: 20", "port ' 20'"},
        {"192.0.2.256:1", "'192.0.2.256' is not an IPv4 or IPv6 address"},
        {"example.net:2055", "'example.net' is not an IPv4 or IPv6 address"},
        {"2001:db8::1:2055", "written [address]:port"},
        {"[2001:db8::1]", "expected ':port' after ']'"},
        {"[2001:db8::1]2055", "expected ':port' after ']'"},
        {"[2001:db8::1:2055", "'[' without ']'"},
        {"[]:1", "no address"},
        {"[192.0.2.1]:1", "only IPv6 addresses are written in brackets"},
    };
    for (const auto& [text, message] : cases) {
        INFO(text);
        std::string why;
        CHECK_FALSE(socket_address::parse(text, &why));
        CHECK_THAT(why, Catch::Contains(message));
        CHECK_THAT(why, Catch::StartsWith(std::string("'") + text + "'"));
        CHECK_FALSE(socket_address::parse(text));  // no message wanted: no crash either
    }
}

TEST_CASE("socket_address converts to and from sockaddr", "[io][socket_address]") {
    const auto v4 = *socket_address::parse("192.0.2.1:2055");
    sockaddr_storage ss{};
    REQUIRE(v4.to_sockaddr(ss) == sizeof(sockaddr_in));
    sockaddr_in sin;
    std::memcpy(&sin, &ss, sizeof sin);
    CHECK(sin.sin_family == AF_INET);
    CHECK(ntohs(sin.sin_port) == 2055);
    CHECK(ntohl(sin.sin_addr.s_addr) == 0xC0000201u);
    CHECK(socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), sizeof sin) == v4);

    const auto v6 = *socket_address::parse("[2001:db8::7]:4739");
    REQUIRE(v6.to_sockaddr(ss) == sizeof(sockaddr_in6));
    sockaddr_in6 sin6;
    std::memcpy(&sin6, &ss, sizeof sin6);
    CHECK(sin6.sin6_family == AF_INET6);
    CHECK(ntohs(sin6.sin6_port) == 4739);
    CHECK(sin6.sin6_addr.s6_addr[0] == 0x20);
    CHECK(sin6.sin6_addr.s6_addr[15] == 7);
    CHECK(socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), sizeof sin6) == v6);

    // Too short for its family, another family, no address.
    CHECK_FALSE(socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), sizeof sin6 - 1));
    CHECK_FALSE(socket_address::from_sockaddr(nullptr, sizeof ss));
    sockaddr_storage unix_like{};
    unix_like.ss_family = AF_UNIX;
    CHECK_FALSE(socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&unix_like), sizeof unix_like));
    CHECK(socket_address{}.to_sockaddr(ss) == 0);
    CHECK(socket_address{}.to_string() == "-");
}

TEST_CASE("socket_address wildcards and exporter endpoints", "[io][socket_address]") {
    CHECK(socket_address::any(4, 2055).to_string() == "0.0.0.0:2055");
    CHECK(socket_address::any(6).to_string() == "[::]:0");
    const auto a = *socket_address::parse("[2001:db8::1]:9995");
    const ipfix::proto::exporter_endpoint e = a.endpoint();
    CHECK(e.address == a.address);
    CHECK(e.port == 9995);
    CHECK(socket_address::from(e) == a);
}
