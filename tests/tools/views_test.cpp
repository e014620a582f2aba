// ipfix-stats' views: exact lines for given polls (parsed from the daemon's JSON shapes).
#include <catch2/catch.hpp>

#include "views.hpp"

using namespace ipfix::tools;

namespace {

std::string stats_json(uint64_t datagrams, uint64_t records, uint64_t bytes, uint64_t malformed, uint64_t out) {
    return R"({"running": true, "uptime_seconds": 125.5, "interval_seconds": null,
      "traffic": {"received_datagrams": )" + std::to_string(datagrams) + R"(, "received_bytes": )" +
           std::to_string(bytes) + R"(, "sent_datagrams": 0, "sent_bytes": 0},
      "drops": {"socket_buffer_full": 0, "send_failed": 2},
      "decode": {"messages": 1, "records": )" + std::to_string(records) + R"(, "sequence_gaps": 1},
      "malformed": {"truncated_header": )" + std::to_string(malformed) + R"(, "length_mismatch": 0},
      "enrich": {"lookups": 4, "lookups_not_found": 1},
      "rates_per_second": null,
      "collectors": [{"collector": "127.0.0.1:4739", "messages_in": )" + std::to_string(out) +
           R"(, "messages_out": )" + std::to_string(out) + R"(, "records_out": 7, "bytes_out": 900,
                      "records_out_per_second": null}]})";
}

daemon_poll poll_at(double t, const std::string& json) {
    daemon_poll p;
    p.reachable = true;
    p.at_seconds = t;
    p.wall_ms = 1'700'000'010'000;
    p.stats.value = parse_stats(json);
    p.as.missing = "HTTP 501";
    p.top.missing = "HTTP 501";
    p.exporters.missing = "HTTP 501";
    return p;
}

screen_data two_polls() {
    screen_data d;
    d.target = "127.0.0.1:9999";
    d.before = poll_at(100.0, stats_json(10, 40, 5000, 1, 3));
    d.now = poll_at(102.0, stats_json(30, 100, 9000, 3, 5));
    d.updated = "10:00:02";
    return d;
}

}  // namespace

TEST_CASE("overview: totals and rates from two polls two seconds apart") {
    const screen_data d = two_polls();
    CHECK(render_header(d) == "ipfix-enricher 127.0.0.1:9999  running  up 2m 05s  updated 10:00:02 every 1s");
    CHECK(render_tabs(view_id::overview) == "[1 Overview]  2 AS  3 Talkers  4 Exporters  5 Errors");
    const std::vector<std::string> want = {
        "traffic        total  per second",
        "datagrams in      30        10.0",
        "records          100        30.0",
        "bytes in        9000      2000.0",
        "datagrams out      0         0.0",
        "bytes out          0         0.0",
        "AS lookups         4         0.0",
        "",
        "drops 2 (0.0/s), malformed 3 (1.0/s), sequence gaps 1, AS not found 1",
        "  drops: send_failed 2",
        "  malformed: truncated_header 3",
        "",
        "collector       messages in  messages out  records out  records/s  bytes out  state",
        "127.0.0.1:4739            5             5            7        0.0        900     ok",
    };
    CHECK(render_view(view_id::overview, d) == want);
}

TEST_CASE("overview of one poll: no rates yet") {
    screen_data d = two_polls();
    d.before.reset();
    const auto lines = render_view(view_id::overview, d);
    CHECK(lines.at(1) == "datagrams in      30           -");
    CHECK(lines.at(8) == "drops 2 (-/s), malformed 3 (-/s), sequence gaps 1, AS not found 1");
    CHECK(lines.at(13) == "127.0.0.1:4739            5             5            7          -        900      -");
}

TEST_CASE("what the daemon does not serve is n/a with the reason") {
    const screen_data d = two_polls();
    CHECK(render_view(view_id::as, d) ==
          std::vector<std::string>{"top AS: n/a (the daemon does not serve /api/v1/as: HTTP 501)"});
    CHECK(render_view(view_id::talkers, d) ==
          std::vector<std::string>{"top talkers: n/a (the daemon does not serve /api/v1/top: HTTP 501)"});
    CHECK(render_view(view_id::exporters, d) ==
          std::vector<std::string>{"exporters: n/a (the daemon does not serve /api/v1/exporters: HTTP 501)"});
}

TEST_CASE("AS, talkers and exporters tables from the documented JSON shapes") {
    screen_data d = two_polls();
    d.now->as.value = parse_as(R"({"source": [{"as": 15169, "name": "GOOGLE", "records": 12, "bytes": 3400},
                                               {"as": 0, "name": "", "records": 2, "bytes": 100}],
                                    "destination": []})");
    d.now->top.value = parse_top(R"({"talkers": [{"address": "8.8.8.8", "records": 9, "bytes": 1200},
                                                  {"address": "2001:db8::1", "records": 1, "bytes": 80}]})");
    d.now->exporters.value = parse_exporters(
        R"({"exporters": [{"address": "192.0.2.1", "port": 2055, "version": 10, "datagrams": 5, "records": 50,
                           "bytes": 7000, "sequence_gaps": 1, "malformed": 0, "last_seen_ms": 1700000007000}]})");
    CHECK(render_view(view_id::as, d) == std::vector<std::string>{
                                             "top source AS",
                                             "AS     name    records  bytes",
                                             "15169  GOOGLE       12   3400",
                                             "0      -             2    100",
                                             "",
                                             "top destination AS: none yet",
                                         });
    CHECK(render_view(view_id::talkers, d) == std::vector<std::string>{
                                                  "top talkers",
                                                  "address      records  bytes",
                                                  "8.8.8.8            9   1200",
                                                  "2001:db8::1        1     80",
                                              });
    CHECK(render_view(view_id::exporters, d) ==
          std::vector<std::string>{
              "exporters",
              "exporter        version  datagrams  records  bytes  seq gaps  malformed  last seen",
              "192.0.2.1:2055       10          5       50   7000         1          0     3s ago",
          });
}

TEST_CASE("errors: drops and malformed by reason with rates") {
    const auto lines = render_view(view_id::errors, two_polls());
    const std::vector<std::string> want = {
        "drops               total  per second",
        "socket_buffer_full      0         0.0",
        "send_failed             2         0.0",
        "",
        "malformed (by reason)  total  per second",
        "truncated_header           3         1.0",
        "length_mismatch            0         0.0",
        "",
        "decode and enrich     total  per second",
        "sequence gaps             1         0.0",
        "sequence lost             0         0.0",
        "sequence reordered        0         0.0",
        "streams evicted           0         0.0",
        "AS lookups not found      1         0.0",
        "",
        "collector       records too big  unknown sets dropped  dropped: buffer full  dropped: unreachable  "
        "dropped: no neighbour  dropped: other  unshared streams",
        "127.0.0.1:4739                0                     0                     0                     0  "
        "                    0               0                 0",
    };
    CHECK(lines == want);
}

TEST_CASE("an unreachable daemon is said so, on every view") {
    screen_data d;
    d.target = "127.0.0.1:9";
    d.interval_seconds = 2;
    d.unreachable = "connect: Connection refused";
    d.failed_polls = 3;
    CHECK(render_header(d) == "ipfix-enricher 127.0.0.1:9  UNREACHABLE, retrying every 2s (3 failed polls)");
    for (auto v : {view_id::overview, view_id::errors}) {
        CHECK(render_view(v, d) == std::vector<std::string>{
                                       "cannot reach the daemon at 127.0.0.1:9: connect: Connection refused",
                                       "retrying every 2s"});
    }
}

TEST_CASE("bad answers are refused with a reason") {
    CHECK_THROWS_WITH(parse_stats("[1]"), "not a JSON object");
    CHECK_THROWS_WITH(parse_stats("{\"running\": true}"), "no \"traffic\" counters");
    CHECK_THROWS_WITH(parse_top("{\"talkers\": 3}"), "no \"talkers\" list");
    CHECK_THROWS_WITH(parse_as("{\"source\": [{\"as\": \"x\"}], \"destination\": []}"), "\"as\" is not a count");
}

TEST_CASE("endpoints and durations") {
    endpoint e;
    CHECK(parse_endpoint("10.0.0.5:9998", e));
    CHECK(e.text() == "10.0.0.5:9998");
    endpoint v6;
    CHECK(parse_endpoint("[::1]:9000", v6));
    CHECK(v6.text() == "[::1]:9000");
    endpoint h;
    CHECK(parse_endpoint("localhost", h));
    CHECK(h.text() == "localhost:9999");
    endpoint bad;
    CHECK_FALSE(parse_endpoint("::1", bad));
    CHECK_FALSE(parse_endpoint("host:0", bad));
    CHECK_FALSE(parse_endpoint("host:70000", bad));
    CHECK_FALSE(parse_endpoint("host:", bad));
    CHECK(format_duration(59) == "59s");
    CHECK(format_duration(125.5) == "2m 05s");
    CHECK(format_duration(3 * 3600 + 120) == "3h 02m");
    CHECK(format_duration(2 * 86400 + 3600) == "2d 01h");
}
