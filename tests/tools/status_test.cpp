// ipfix-status' verdict and renderings for given observations.
#include <catch2/catch.hpp>

#include "service_probe.hpp"
#include "status_report.hpp"

using namespace ipfix::tools;

namespace {

daemon_stats stats(uint64_t datagrams, uint64_t dropped, uint64_t malformed, uint64_t in, uint64_t out) {
    daemon_stats s;
    s.uptime_seconds = 3700;
    s.sections = {{"traffic", {{"received_datagrams", datagrams}, {"received_bytes", datagrams * 100},
                               {"sent_datagrams", out}, {"sent_bytes", out * 90}}},
                  {"drops", {{"socket_buffer_full", dropped}, {"send_failed", 0}}},
                  {"decode", {{"records", datagrams * 3}}},
                  {"malformed", {{"truncated_header", malformed}}}};
    s.collectors = {{"127.0.0.1:4739", {{"messages_in", in}, {"messages_out", out}, {"records_out", out * 3}}, ""}};
    return s;
}

status_inputs sampled(daemon_stats a, daemon_stats b) {
    status_inputs in;
    in.service.unit = "ipfix-enricher";
    in.service.note = "this host does not run systemd";
    in.stats_port = "127.0.0.1:9999";
    in.first = std::move(a);
    in.second = std::move(b);
    in.sample_seconds = 2.0;
    return in;
}

}  // namespace

TEST_CASE("healthy: traffic flows, nothing dropped in the sample") {
    const status_report r = evaluate(sampled(stats(10, 1, 0, 10, 10), stats(30, 1, 0, 30, 30)));
    CHECK(r.verdict == health::healthy);
    CHECK(r.reasons.empty());
    CHECK(r.datagrams_per_second == 10.0);
    CHECK(r.records_per_second == 30.0);
    CHECK(r.drops == 1);
    CHECK(r.drops_in_sample == 0);
    CHECK(render_status_text(r) ==
          "ipfix-enricher: healthy\n"
          "service     not under systemd (this host does not run systemd)\n"
          "stats port  127.0.0.1:9999, pipeline running\n"
          "uptime      1h 01m\n"
          "rates       10.0 datagrams/s, 30.0 records/s, 1000.0 bytes in/s, 900.0 bytes out/s (over 2.0 s)\n"
          "drops       1 total, 0 in the sample\n"
          "malformed   0 total, 0 in the sample\n"
          "collector   127.0.0.1:4739 ok (messages in 30, out 30, records out 90)\n"
          "recent errors: not looked at (no journal; --log FILE)\n");
}

TEST_CASE("degraded: drops and malformed rising, a stalled collector") {
    const status_report r = evaluate(sampled(stats(10, 1, 0, 10, 10), stats(30, 4, 2, 30, 10)));
    CHECK(r.verdict == health::degraded);
    CHECK(r.reasons == std::vector<std::string>{"3 datagrams dropped in the sample", "2 malformed inputs in the sample",
                                                "collector 127.0.0.1:4739 is stalled"});
}

TEST_CASE("an idle collector is not a problem") {
    const status_report r = evaluate(sampled(stats(10, 0, 0, 10, 10), stats(10, 0, 0, 10, 10)));
    CHECK(r.verdict == health::healthy);
    CHECK(r.collectors.at(0).state == "idle");
}

TEST_CASE("down: service failed, port unreachable, pipeline stopped") {
    status_inputs in = sampled(stats(1, 0, 0, 1, 1), stats(1, 0, 0, 1, 1));
    in.second->running = false;
    CHECK(evaluate(in).reasons == std::vector<std::string>{"the pipeline is not running"});
    CHECK(evaluate(in).verdict == health::down);

    status_inputs gone;
    gone.service = {true, "ipfix-enricher", "loaded", "failed", "failed", "", ""};
    gone.stats_port = "127.0.0.1:9999";
    gone.unreachable = "connect: Connection refused";
    const status_report r = evaluate(gone);
    CHECK(r.verdict == health::down);
    CHECK(r.reasons == std::vector<std::string>{"service ipfix-enricher is failed (failed)",
                                                "stats port 127.0.0.1:9999 unreachable: connect: Connection refused"});
    const std::string j = render_status_json(r);
    CHECK(j.find("\"status\": \"down\"") != std::string::npos);
    CHECK(j.find("\"exit_status\": 2") != std::string::npos);
    CHECK(j.find("\"active_state\": \"failed\"") != std::string::npos);
    CHECK(j.find("\"reachable\": false") != std::string::npos);
}

TEST_CASE("systemctl show read into a state") {
    const service_state s = parse_systemctl_show(
        "ipfix-enricher", "LoadState=loaded\nActiveState=active\nSubState=running\n"
                          "ExecMainStartTimestamp=Thu 2026-11-26 09:00:00 UTC\n");
    CHECK(s.systemd);
    CHECK(s.active_state == "active");
    CHECK(s.sub_state == "running");
    CHECK(s.started == "Thu 2026-11-26 09:00:00 UTC");
    const service_state none = parse_systemctl_show("ipfix-enricher", "LoadState=not-found\nActiveState=inactive\n");
    CHECK_FALSE(none.systemd);
    CHECK(none.note == "no unit ipfix-enricher (not-found)");
}

TEST_CASE("recent errors: the last lines that read like trouble") {
    const std::string log =
        "ipfix-enricher: listening on 127.0.0.1:2055\n"
        "ipfix-enricher: cannot load the AS databases: no such file\n"
        "ipfix-enricher: stats port on 127.0.0.1:9999 (telnet and HTTP)\n"
        "systemd[1]: ipfix-enricher.service: Failed with result 'exit-code'.\n"
        "ipfix-enricher: reload refused, the running configuration stays: bad key\n";
    CHECK(trouble_lines(log, 5) == std::vector<std::string>{
                                       "ipfix-enricher: cannot load the AS databases: no such file",
                                       "systemd[1]: ipfix-enricher.service: Failed with result 'exit-code'.",
                                       "ipfix-enricher: reload refused, the running configuration stays: bad key"});
    CHECK(trouble_lines(log, 1) ==
          std::vector<std::string>{"ipfix-enricher: reload refused, the running configuration stays: bad key"});
}
