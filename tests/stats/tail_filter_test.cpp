#include "ipfix/stats/tail_filter.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace ipfix;
using namespace ipfix::stats;

namespace {

proto::ip_address ip(std::string_view text) { return *proto::ip_address::parse(text); }

pipeline::flow_summary sample() {
    pipeline::flow_summary s;
    s.exporter = ip("192.0.2.7");
    s.exporter_port = 40000;
    s.source = ip("10.1.2.3");
    s.destination = ip("198.51.100.9");
    s.source_port = 51000;
    s.destination_port = 443;
    s.protocol = 6;
    s.source_as = 64500;
    s.destination_as = 15169;
    return s;
}

tail_filter parse_ok(std::string_view q) {
    const tail_query r = parse_tail_query(q);
    INFO(q << ": " << r.error);
    REQUIRE(r.filter);
    return *r.filter;
}

std::string parse_error(std::string_view q) {
    const tail_query r = parse_tail_query(q);
    INFO(q);
    REQUIRE_FALSE(r.filter);
    return r.error;
}

}  // namespace

TEST_CASE("tailFilterEmptyMatchesAll", "[stats][tail]") {
    CHECK(parse_ok("").matches(sample()));
    CHECK(parse_ok("&&").matches(sample()));
    CHECK(parse_ok("").matches(pipeline::flow_summary{}));
}

TEST_CASE("tailFilterEachConditionMatchesAndMisses", "[stats][tail]") {
    const auto s = sample();
    struct probe {
        const char* query;
        bool match;
    };
    for (const probe p : {probe{"exporter=192.0.2.7", true}, {"exporter=192.0.2.7:40000", true},
                          {"exporter=192.0.2.7:40001", false}, {"exporter=192.0.2.8", false},
                          {"address=10.1.2.3", true}, {"address=198.51.100.9", true}, {"address=10.1.2.4", false},
                          {"address=192.0.2.7", false},  // the exporter is not an endpoint
                          {"prefix=10.0.0.0/8", true}, {"prefix=198.51.100.0/24", true},
                          {"prefix=10.1.2.3/32", true}, {"prefix=10.1.2.4/31", false}, {"prefix=10.1.2.2/31", true}, {"prefix=0.0.0.0/0", true},
                          {"prefix=11.0.0.0/8", false}, {"prefix=10.1.2.0/25", true}, {"prefix=10.1.2.128/25", false},
                          {"prefix=::/0", false},  // another family
                          {"as=64500", true}, {"as=15169", true}, {"as=AS64500", true}, {"as=64501", false},
                          {"port=443", true}, {"port=51000", true}, {"port=80", false},
                          {"protocol=6", true}, {"protocol=tcp", true}, {"protocol=udp", false},
                          {"protocol=17", false}, {"as=64500&port=443&protocol=tcp&prefix=10.0.0.0/8", true},
                          {"as=64500&port=80", false}, {"address=10.1.2.3&as=1", false},
                          {"since=600", true}, {"exporter=192.0.2.7%3A40000", true}}) {
        INFO(p.query);
        CHECK(parse_ok(p.query).matches(s) == p.match);
    }
}

TEST_CASE("tailFilterIpv6", "[stats][tail]") {
    pipeline::flow_summary s;
    s.exporter = ip("2001:db8::1");
    s.exporter_port = 2055;
    s.source = ip("2001:db8:1::5");
    s.destination = ip("2001:db8:2::6");
    CHECK(parse_ok("exporter=[2001:db8::1]:2055").matches(s));
    CHECK(parse_ok("exporter=2001:db8::1").matches(s));
    CHECK_FALSE(parse_ok("exporter=[2001:db8::1]:2056").matches(s));
    CHECK(parse_ok("exporter=%5B2001:db8::1%5D:2055").matches(s));
    CHECK(parse_ok("address=2001:db8:2::6").matches(s));
    CHECK(parse_ok("prefix=2001:db8:1::/48").matches(s));
    CHECK(parse_ok("prefix=2001:db8::/32").matches(s));
    CHECK_FALSE(parse_ok("prefix=2001:db8:3::/48").matches(s));
    CHECK_FALSE(parse_ok("prefix=10.0.0.0/8").matches(s));
}

TEST_CASE("tailFilterValues", "[stats][tail]") {
    const tail_filter f = parse_ok("exporter=192.0.2.7:9995&prefix=10.1.2.3/8&as=4294967295&port=0&protocol=icmp&since=3600");
    CHECK(f.exporter->to_string() == "192.0.2.7");
    CHECK(*f.exporter_port == 9995);
    CHECK(f.prefix->network.to_string() == "10.0.0.0");  // host bits cleared
    CHECK(f.prefix->length == 8);
    CHECK(*f.as == 4294967295u);
    CHECK(*f.port == 0);
    CHECK(*f.protocol == 1);
    CHECK(*f.since_seconds == 3600);
    CHECK(*parse_protocol("udp") == 17);
    CHECK(*parse_protocol("icmpv6") == 58);
    CHECK(*parse_protocol("sctp") == 132);
    CHECK(*parse_protocol("255") == 255);
}

TEST_CASE("tailFilterBadValues", "[stats][tail]") {
    CHECK(parse_error("exporter=") == "parameter 'exporter' needs a value");
    CHECK(parse_error("as") == "parameter 'as' needs a value");
    CHECK(parse_error("color=red") ==
          "unknown parameter 'color' (exporter, address, prefix, as, port, protocol, since)");
    CHECK(parse_error("as=1&as=2") == "as given twice");
    CHECK(parse_error("as=%zz") == "bad percent-encoding in 'as=%zz'");
    CHECK(parse_error("as=%4") == "bad percent-encoding in 'as=%4'");
    for (const char* q : {"exporter=host", "exporter=192.0.2.7:", "exporter=192.0.2.7:0", "exporter=192.0.2.7:65536",
                          "exporter=2001:db8::1:2055x", "exporter=[2001:db8::1]", "exporter=[192.0.2.7]:1",
                          "exporter=[2001:db8::1]2055", "exporter=1.2.3.4:x"}) {
        INFO(q);
        CHECK(parse_error(q).find("expected IP, IPv4:PORT or [IPv6]:PORT") != std::string::npos);
    }
    for (const char* q : {"address=10.1.2", "address=10.1.2.256", "address=x", "address=10.0.0.0/8"}) {
        INFO(q);
        CHECK(parse_error(q).find("expected an IPv4 or IPv6 address") != std::string::npos);
    }
    for (const char* q : {"prefix=10.0.0.0", "prefix=10.0.0.0/33", "prefix=::/129", "prefix=10.0.0.0/", "prefix=/8",
                          "prefix=10.0.0.0/-1", "prefix=10.0.0.0/8x"}) {
        INFO(q);
        CHECK(parse_error(q).find("expected ADDRESS/LENGTH") != std::string::npos);
    }
    for (const char* q : {"as=-1", "as=4294967296", "as=x", "as=1.5", "as=AS", "as=99999999999999999999999"}) {
        INFO(q);
        CHECK(parse_error(q).find("expected an AS number 0-4294967295") != std::string::npos);
    }
    for (const char* q : {"port=65536", "port=-1", "port=http", "port=1 "}) {
        INFO(q);
        CHECK(parse_error(q).find("expected a port 0-65535") != std::string::npos);
    }
    for (const char* q : {"protocol=256", "protocol=TCP", "protocol=gre", "protocol=-6"}) {
        INFO(q);
        CHECK(parse_error(q).find("expected a protocol number 0-255") != std::string::npos);
    }
    for (const char* q : {"since=0", "since=10m", "since=-5", "since=999999999999"}) {
        INFO(q);
        CHECK(parse_error(q).find("expected seconds, 1 to 10 years") != std::string::npos);
    }
    CHECK(parse_error("port=%22%5C") == "port='?" "?': expected a port 0-65535");  // quotes and backslashes never echoed
}

TEST_CASE("tailFilterArbitraryBytes", "[stats][tail]") {
    // Deterministic noise over the query alphabet and beyond: an answer every time, an error
    // text whenever there is no filter, and the error printable (it goes into a JSON string).
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    const std::string alphabet = "=&%+:/.[]0123456789abcdefxAS-exporteraddressprefixasportprotocolsince\"\\\x01\xff";
    size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string q;
        const size_t n = next() % 40;
        for (size_t k = 0; k < n; ++k) q += alphabet[next() % alphabet.size()];
        const tail_query r = parse_tail_query(q);
        if (r.filter) {
            ++accepted;
            CHECK(r.error.empty());
            continue;
        }
        REQUIRE_FALSE(r.error.empty());
        const bool printable = std::all_of(r.error.begin(), r.error.end(),
                                           [](char c) { return c >= ' ' && c <= '~' && c != '"' && c != '\\'; });
        REQUIRE(printable);
    }
    CHECK(accepted > 0);
}
