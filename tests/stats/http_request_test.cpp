#include "ipfix/stats/http_request.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ipfix::stats;

TEST_CASE("httpRequestWithHeaders", "[stats][http]") {
    const std::string req = "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9999\r\nAccept:  text/plain \r\n\r\nrest";
    const auto r = parse_http_request(req);
    REQUIRE(r.status == http_parse_status::complete);
    CHECK(r.consumed == req.size() - 4);
    CHECK(r.request.method == "GET");
    CHECK(r.request.target == "/metrics?x=1");
    CHECK(r.request.path == "/metrics");
    CHECK(r.request.query == "x=1");
    CHECK(r.request.version_minor == 1);
    REQUIRE(r.request.headers.size() == 2);
    CHECK(r.request.headers[0].name == "Host");
    CHECK(r.request.headers[0].value == "127.0.0.1:9999");
    CHECK(r.request.headers[1].name == "Accept");
    CHECK(r.request.headers[1].value == "text/plain");
}

TEST_CASE("httpRequestBareLfAndHttp10", "[stats][http]") {
    const auto r = parse_http_request("HEAD / HTTP/1.0\n\n");
    REQUIRE(r.status == http_parse_status::complete);
    CHECK(r.request.method == "HEAD");
    CHECK(r.request.path == "/");
    CHECK(r.request.query.empty());
    CHECK(r.request.version_minor == 0);
    CHECK(r.request.headers.empty());
    CHECK(r.consumed == 17);
}

TEST_CASE("httpRequestIncompleteUntilTheBlankLine", "[stats][http]") {
    const std::string full = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t n = 0; n < full.size(); ++n) {
        INFO("prefix of " << n << " bytes");
        CHECK(parse_http_request(full.substr(0, n)).status == http_parse_status::incomplete);
    }
    CHECK(parse_http_request(full).status == http_parse_status::complete);
}

TEST_CASE("httpRequestMalformedIs400", "[stats][http]") {
    for (const char* bad : {"GET\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 x\r\n\r\n",
                            "get / HTTP/1.1\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n", "GET / HTTP/1\r\n\r\n",
                            "GET / HTTP/1.x\r\n\r\n", "GET / FTP/1.1\r\n\r\n", "GET /\x01 HTTP/1.1\r\n\r\n",
                            "GET / HTTP/1.1\r\nNo colon\r\n\r\n", "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
                            "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n",
                            "GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n"}) {
        INFO(bad);
        const auto r = parse_http_request(bad);
        CHECK(r.status == http_parse_status::error);
        CHECK(r.error_status == 400);
        CHECK_FALSE(r.error_text.empty());
    }
}

TEST_CASE("httpRequestVersionAndLimits", "[stats][http]") {
    CHECK(parse_http_request("GET / HTTP/2.0\r\n\r\n").error_status == 505);
    CHECK(parse_http_request("GET / HTTP/0.9\r\n\r\n").error_status == 505);

    const http_limits small{32, 40, 2};
    const std::string long_uri = "GET /" + std::string(40, 'a') + " HTTP/1.1\r\n\r\n";
    CHECK(parse_http_request(long_uri, small).error_status == 414);
    // Decided before the line ends: a huge request line is never buffered whole.
    CHECK(parse_http_request("GET /" + std::string(100, 'a'), small).error_status == 414);

    CHECK(parse_http_request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", small).status == http_parse_status::complete);
    CHECK(parse_http_request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small).error_status == 431);
    CHECK(parse_http_request("GET / HTTP/1.1\r\nA: " + std::string(50, 'v') + "\r\n\r\n", small).error_status == 431);
    // Headers that never end are cut at the limit too.
    CHECK(parse_http_request("GET / HTTP/1.1\r\nA: " + std::string(50, 'v'), small).error_status == 431);
}

TEST_CASE("httpDetectionOnTheFirstLine", "[stats][http]") {
    CHECK(is_http_request_line("GET /metrics HTTP/1.1"));
    CHECK(is_http_request_line("POST /x HTTP/1.0"));
    CHECK(is_http_request_line("GET / HTTP/9.9"));  // HTTP all the same: answered 505
    CHECK_FALSE(is_http_request_line("GET /metrics"));
    CHECK_FALSE(is_http_request_line("stats"));
    CHECK_FALSE(is_http_request_line("get / HTTP/1.1"));
    CHECK_FALSE(is_http_request_line("top 10 HTTP/1.1 x"));
    CHECK(starts_like_http("GET /aaaa"));
    CHECK_FALSE(starts_like_http("GET"));
    CHECK_FALSE(starts_like_http("xxxxxxxx"));
    CHECK_FALSE(starts_like_http("stats now"));
}
