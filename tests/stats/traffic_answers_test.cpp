// The traffic commands and paths of the stats port (traffic_answers.hpp) over a fixed report:
// exact tables and JSON, the n bounds, and reset's token checks (never a reset without it).
#include "ipfix/stats/traffic_answers.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "ipfix/stats/traffic_renderers.hpp"

using namespace ipfix;
using namespace ipfix::stats;

namespace {

pipeline::traffic_report sample_report() {
    pipeline::traffic_report r;
    pipeline::exporter_tally e;
    e.exporter = {*proto::ip_address::parse("192.0.2.1"), 2055};
    e.version = 10;
    e.datagrams = 4;
    e.records = 40;
    e.bytes = 4000;
    e.sequence_gaps = 1;
    e.malformed = 2;
    e.last_seen_ms = 1'700'000'000'123;
    r.exporters.push_back(e);
    pipeline::template_tally t;
    t.stream.exporter = e.exporter;
    t.stream.domain = 3;
    t.id = 256;
    t.fields = 7;
    t.last_seen_ms = 1'700'000'000'000;
    r.templates.push_back(t);
    r.source_as.entries = {{64500, 30, 0, 3000}, {64501, 10, 0, 1000}};
    r.source_as.total = 40;
    r.destination_as.entries = {{15169, 40, 0, 4000}};
    r.destination_as.total = 40;
    r.talkers.entries = {{*proto::ip_address::parse("10.0.0.1"), 3000, 0, 30}};
    r.talkers.total = 4000;
    return r;
}

struct fake {
    int resets = 0;
    traffic_source source(std::string token) {
        traffic_source s;
        s.read = [] { return sample_report(); };
        s.reset = [this] { ++resets; };
        s.as_name = [](uint32_t as) { return as == 64500 ? std::string("Example Org") : std::string(); };
        s.token = std::move(token);
        return s;
    }
};

command cmd(std::string_view line) { return parse_command(line); }

http_request request(std::string_view method, std::string_view path, std::string_view query = {},
                     std::vector<http_header> headers = {}) {
    http_request r;
    r.method = method;
    r.path = path;
    r.query = query;
    r.headers = std::move(headers);
    return r;
}

}  // namespace

TEST_CASE("traffic answers: tables", "[stats][traffic]") {
    fake f;
    const traffic_source s = f.source("");
    CHECK(*answer_traffic_command(cmd("exporters"), s) ==
          "exporter        version  datagrams  records  bytes  seq gaps  malformed      last seen (UTC)\n"
          "192.0.2.1:2055       10          4       40   4000         1          2  2023-11-14 22:13:20\n");
    CHECK(*answer_traffic_command(cmd("templates"), s) ==
          "exporter        version  domain  template  kind  fields      last sent (UTC)\n"
          "192.0.2.1:2055       10       3       256  data       7  2023-11-14 22:13:20\n");
    CHECK(*answer_traffic_command(cmd("as_stats 1"), s) ==
          "source AS by records (40 records)\n"
          "AS  name            records  share  bytes\n"
          "64500  Example Org       30  75.0%   3000\n"
          "\n"
          "destination AS by records (40 records)\n"
          "AS  name  records   share  bytes\n"
          "15169          40  100.0%   4000\n");
    CHECK(*answer_traffic_command(cmd("top"), s) ==
          "top talkers (source addresses) by bytes (4000 bytes)\n"
          "address   bytes  share  records\n"
          "10.0.0.1   3000  75.0%       30\n");
    CHECK(*answer_traffic_command(cmd("top 0"), s) == "error: top takes a count from 1 to 1000\n");
    CHECK(*answer_traffic_command(cmd("as_stats ten"), s) == "error: as_stats takes a count from 1 to 1000\n");
    CHECK(*answer_traffic_command(cmd("exporters now"), s) == "error: exporters takes no arguments\n");
    CHECK_FALSE(answer_traffic_command(cmd("stats"), s).has_value());
}

TEST_CASE("traffic answers: JSON shapes", "[stats][traffic]") {
    fake f;
    const traffic_source s = f.source("");
    auto get = [&](std::string_view path, std::string_view query = {}) {
        const auto a = answer_traffic_request(request("GET", path, query), s);
        REQUIRE(a.has_value());
        CHECK(a->content_type == "application/json");
        return std::make_pair(a->status, nlohmann::json::parse(a->body));
    };
    auto [status, j] = get("/api/v1/exporters");
    CHECK(status == 200);
    CHECK(j == nlohmann::json::parse(R"({"exporters":[{"address":"192.0.2.1","port":2055,"version":10,"datagrams":4,
        "records":40,"bytes":4000,"sequence_gaps":1,"malformed":2,"last_seen_ms":1700000000123}]})"));
    std::tie(status, j) = get("/api/v1/templates");
    CHECK(j == nlohmann::json::parse(R"({"templates":[{"exporter":"192.0.2.1:2055","domain":3,"template":256,
        "fields":7,"options":false,"last_seen_ms":1700000000000}]})"));
    std::tie(status, j) = get("/api/v1/as", "n=1");
    CHECK(j == nlohmann::json::parse(R"({"source":[{"as":64500,"name":"Example Org","records":30,"bytes":3000}],
        "destination":[{"as":15169,"name":"","records":40,"bytes":4000}]})"));
    std::tie(status, j) = get("/api/v1/as");
    CHECK(j["source"].size() == 2);
    std::tie(status, j) = get("/api/v1/top", "x=1&n=5");
    CHECK(j == nlohmann::json::parse(R"({"talkers":[{"address":"10.0.0.1","records":30,"bytes":3000}]})"));
    CHECK(get("/api/v1/top", "n=1001").first == 400);
    CHECK(get("/api/v1/as", "n=").first == 200);  // empty: the default
    CHECK(get("/api/v1/as", "n=-1").first == 400);
    CHECK_FALSE(answer_traffic_request(request("GET", "/api/v1/stats"), s).has_value());
    const std::string m = render_exporter_metrics(sample_report(), 100);
    CHECK(m.find("ipfix_enricher_exporter_records_total{exporter=\"192.0.2.1:2055\"} 40\n") != std::string::npos);
    CHECK(render_exporter_metrics(sample_report(), 0).find("{exporter=") == std::string::npos);
}

TEST_CASE("traffic answers: reset only with the configured token", "[stats][traffic]") {
    fake f;
    const traffic_source none = f.source("");
    CHECK(*answer_traffic_command(cmd("reset anything"), none) ==
          "error: reset is disabled: no general.stats_token is configured\n");
    CHECK(answer_traffic_request(request("POST", "/api/v1/reset", {}, {{"Authorization", "Bearer x"}}), none)->status ==
          403);
    CHECK(f.resets == 0);

    const traffic_source s = f.source("s3cret");
    CHECK(*answer_traffic_command(cmd("reset"), s) == "error: reset needs the token: reset TOKEN\n");
    CHECK(*answer_traffic_command(cmd("reset s3cre"), s) == "error: wrong token, nothing reset\n");
    CHECK(*answer_traffic_command(cmd("reset s3crets"), s) == "error: wrong token, nothing reset\n");
    CHECK(answer_traffic_request(request("POST", "/api/v1/reset"), s)->status == 401);
    CHECK(answer_traffic_request(request("POST", "/api/v1/reset", {}, {{"Authorization", "Basic s3cret"}}), s)->status ==
          401);
    CHECK(answer_traffic_request(request("POST", "/api/v1/reset", {}, {{"Authorization", "Bearer nope"}}), s)->status ==
          403);
    const auto get = answer_traffic_request(request("GET", "/api/v1/reset"), s);
    CHECK((get->status == 405 && get->allow == "POST"));
    CHECK(f.resets == 0);

    CHECK(*answer_traffic_command(cmd("RESET s3cret"), s) == "ok: reset the exporters, templates, top AS and talkers\n");
    CHECK(f.resets == 1);
    const auto ok = answer_traffic_request(request("POST", "/api/v1/reset", {}, {{"authorization", "bearer s3cret"}}), s);
    CHECK(ok->status == 200);
    CHECK(ok->body == "{\"reset\": true}\n");
    CHECK(f.resets == 2);
    CHECK(token_matches("abc", "abc"));
    CHECK_FALSE(token_matches("abc", "abd"));
    CHECK_FALSE(token_matches("", ""));
}
