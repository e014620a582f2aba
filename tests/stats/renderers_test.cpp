#include "ipfix/stats/renderers.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

using namespace ipfix;
using namespace ipfix::stats;

namespace {

// Ten datagrams of 30 records each, two malformed ones, one collector; five seconds earlier half
// of it.
stats_view sample_view() {
    stats_view v;
    auto& n = v.now;
    n.io.rx_datagrams = 12;
    n.io.rx_bytes = 14400;
    n.io.tx_datagrams = 10;
    n.io.tx_bytes = 15000;
    n.io.tx_dropped = 1;
    n.kernel_drops = 3;
    n.decode.messages = 12;
    n.decode.messages_ok = 10;
    n.decode.records = 300;
    n.decode.templates_learned = 2;
    n.decode.templates_refreshed = 8;
    n.decode[proto::malformed::unknown_template] = 1;
    n.decode[proto::malformed::length_mismatch] = 1;
    n.enrich.records = 300;
    n.enrich.lookups = 600;
    n.enrich.filled = 550;
    n.enrich.not_found = 50;
    mediate::mediate_counters c;
    c.messages_in = 10;
    c.messages_out = 10;
    c.records_out = 300;
    c.bytes_out = 15000;
    c.templates_sent = 2;
    n.collectors = {c};
    pipeline::collector_tx_counters t;
    t.datagrams = 9;
    t.bytes = 13500;
    t.drop(pipeline::tx_drop::buffer_full) = 1;
    n.collectors_tx = {t};
    pipeline::live_stats b = n;
    b.io.rx_datagrams = 6;
    b.io.rx_bytes = 7200;
    b.decode.records = 150;
    b.collectors[0].records_out = 100;
    v.before = b;
    v.interval_seconds = 5.0;
    v.uptime_seconds = 3725.5;
    v.collectors = {"127.0.0.1:2056"};
    return v;
}

}  // namespace

TEST_CASE("collectorsTable", "[stats][render]") {
    stats_view v = sample_view();
    CHECK(render_collectors_table(v) ==
          "collector       messages in  messages out  records out  bytes out  templates sent  withdrawals sent  "
          "unknown sets forwarded  unknown sets dropped  records too big  datagrams sent  bytes sent  "
          "dropped: buffer full  dropped: unreachable  dropped: no neighbour  dropped: other  unshared streams  "
          "records/s\n"
          "127.0.0.1:2056           10            10          300      15000               2                 0  "
          "                     0                     0                0               9       13500  "
          "                   1                     0                      0               0                 0  "
          "     40.0\n");
    v.before.reset();
    CHECK(render_collectors_table(v).ends_with("               0          -\n"));
    v.now.collectors.clear();
    CHECK(render_collectors_table(v) == "no collectors configured\n");
}

TEST_CASE("statsTable", "[stats][render]") {
    const std::string text = render_stats_table(sample_view());
    CHECK(text.starts_with("uptime 1h02m05s, pipeline running, rates per second over the last 5.0 s\n"
                           "\n"
                           "traffic        total  per second\n"
                           "datagrams in      12         1.2\n"
                           "bytes in       14400      1440.0\n"
                           "datagrams out     10         0.0\n"
                           "bytes out      15000         0.0\n"
                           "\n"
                           "drops                        total  per second\n"
                           "socket buffer full (kernel)      3         0.0\n"
                           "oversized (over mbuf room)       0         0.0\n"
                           "worker ring full                 0         0.0\n"
                           "send failed                      1         0.0\n"
                           "bursts without mbufs             0         0.0\n"
                           "untapped records                 0         0.0\n"
                           "\n"
                           "decode               total  per second\n"
                           "messages                12         0.0\n"
                           "messages clean          10         0.0\n"
                           "records                300        30.0\n"));
    CHECK(text.find("\nmalformed (by reason)  total  per second\n"
                    "truncated_header           0         0.0\n"
                    "unsupported_version        0         0.0\n"
                    "length_mismatch            1         0.0\n") != std::string::npos);
    CHECK(text.find("\nunknown_template           1         0.0\n") != std::string::npos);
    CHECK(text.find("\nenrich                   total  per second\n"
                    "records                    300         0.0\n"
                    "records without address      0         0.0\n"
                    "lookups                    600         0.0\n"
                    "lookups not found           50         0.0\n"
                    "AS filled                  550         0.0\n") != std::string::npos);
    CHECK(text.ends_with("\n" + render_collectors_table(sample_view())));
}

TEST_CASE("statsTableBeforeTheFirstInterval", "[stats][render]") {
    stats_view v = sample_view();
    v.before.reset();
    v.uptime_seconds = 4;
    v.running = false;
    const std::string text = render_stats_table(v);
    CHECK(text.starts_with("uptime 4s, pipeline stopped, no rates yet (first interval)\n\n"
                           "traffic        total  per second\n"
                           "datagrams in      12           -\n"));
}

TEST_CASE("prometheusText", "[stats][render]") {
    const std::string text = render_prometheus(sample_view());
    CHECK(text.starts_with("# HELP ipfix_enricher_up 1 while the pipeline is forwarding.\n"
                           "# TYPE ipfix_enricher_up gauge\n"
                           "ipfix_enricher_up 1\n"
                           "# HELP ipfix_enricher_uptime_seconds Seconds since the stats server started.\n"
                           "# TYPE ipfix_enricher_uptime_seconds gauge\n"
                           "ipfix_enricher_uptime_seconds 3725.500\n"
                           "# HELP ipfix_enricher_received_datagrams_total Datagrams received from exporters.\n"
                           "# TYPE ipfix_enricher_received_datagrams_total counter\n"
                           "ipfix_enricher_received_datagrams_total 12\n"));
    CHECK(text.find("# HELP ipfix_enricher_dropped_datagrams_total Datagrams dropped, by reason.\n"
                    "# TYPE ipfix_enricher_dropped_datagrams_total counter\n"
                    "ipfix_enricher_dropped_datagrams_total{reason=\"socket_buffer_full\"} 3\n"
                    "ipfix_enricher_dropped_datagrams_total{reason=\"oversized\"} 0\n"
                    "ipfix_enricher_dropped_datagrams_total{reason=\"worker_ring_full\"} 0\n"
                    "ipfix_enricher_dropped_datagrams_total{reason=\"send_failed\"} 1\n"
                    "# HELP") != std::string::npos);
    CHECK(text.find("\nipfix_enricher_records_total 300\n") != std::string::npos);
    CHECK(text.find("\nipfix_enricher_malformed_total{reason=\"unknown_template\"} 1\n") != std::string::npos);
    CHECK(text.find("\nipfix_enricher_template_events_total{event=\"learned\"} 2\n") != std::string::npos);
    CHECK(text.find("# HELP ipfix_enricher_collector_records_too_big_total Output records over the payload "
                    "limit (dropped).\n"
                    "# TYPE ipfix_enricher_collector_records_too_big_total counter\n"
                    "ipfix_enricher_collector_records_too_big_total{collector=\"127.0.0.1:2056\"} 0\n") !=
          std::string::npos);
    CHECK(text.find("\nipfix_enricher_collector_sent_datagrams_total{collector=\"127.0.0.1:2056\"} 9\n") !=
          std::string::npos);
    CHECK(text.find("\nipfix_enricher_collector_sent_bytes_total{collector=\"127.0.0.1:2056\"} 13500\n") !=
          std::string::npos);
    CHECK(text.find("# HELP ipfix_enricher_collector_dropped_datagrams_total Datagrams for the collector the TX "
                         "side dropped, by reason.\n"
                         "# TYPE ipfix_enricher_collector_dropped_datagrams_total counter\n"
                         "ipfix_enricher_collector_dropped_datagrams_total{collector=\"127.0.0.1:2056\",reason=\"buffer_full\"} 1\n"
                         "ipfix_enricher_collector_dropped_datagrams_total{collector=\"127.0.0.1:2056\",reason=\"unreachable\"} 0\n"
                         "ipfix_enricher_collector_dropped_datagrams_total{collector=\"127.0.0.1:2056\",reason=\"no_neighbour\"} 0\n"
                         "ipfix_enricher_collector_dropped_datagrams_total{collector=\"127.0.0.1:2056\",reason=\"other\"} 0\n"
                         "# HELP ipfix_enricher_collector_unshared_streams_total Exporter streams the shared output "
                         "stream registry had no room for: their output domain and sequence numbers are not kept "
                         "across a restart.\n"
                         "# TYPE ipfix_enricher_collector_unshared_streams_total counter\n"
                         "ipfix_enricher_collector_unshared_streams_total{collector=\"127.0.0.1:2056\"} 0\n") !=
          std::string::npos);
    CHECK(text.ends_with("ipfix_enricher_collector_unshared_streams_total{collector=\"127.0.0.1:2056\"} 0\n"));
    CHECK(text.find("\nipfix_enricher_collector_records_out_total{collector=\"127.0.0.1:2056\"} 300\n") !=
          std::string::npos);
    // Each family's HELP and TYPE exactly once.
    size_t helps = 0, types = 0, at = 0;
    while ((at = text.find("# HELP ipfix_enricher_malformed_total ", at)) != std::string::npos) ++helps, ++at;
    at = 0;
    while ((at = text.find("# TYPE ipfix_enricher_malformed_total counter", at)) != std::string::npos) ++types, ++at;
    CHECK(helps == 1);
    CHECK(types == 1);
}

TEST_CASE("prometheusEscapesLabelValues", "[stats][render]") {
    stats_view v = sample_view();
    v.collectors = {"a\"b\\c\nd"};
    CHECK(render_prometheus(v).find("{collector=\"a\\\"b\\\\c\\nd\"} 300\n") != std::string::npos);
}

TEST_CASE("statsJson", "[stats][render]") {
    const auto j = nlohmann::json::parse(render_stats_json(sample_view()));
    CHECK(j["running"] == true);
    CHECK(j["uptime_seconds"] == 3725.5);
    CHECK(j["interval_seconds"] == 5.0);
    CHECK(j["traffic"]["received_datagrams"] == 12);
    CHECK(j["drops"]["socket_buffer_full"] == 3);
    CHECK(j["decode"]["records"] == 300);
    CHECK(j["malformed"]["unknown_template"] == 1);
    CHECK(j["malformed"].size() == proto::malformed_count);
    CHECK(j["enrich"]["as_filled"] == 550);
    CHECK(j["rates_per_second"]["traffic"]["received_datagrams"] == 1.2);
    CHECK(j["rates_per_second"]["decode"]["records"] == 30.0);
    REQUIRE(j["collectors"].size() == 1);
    CHECK(j["collectors"][0]["collector"] == "127.0.0.1:2056");
    CHECK(j["collectors"][0]["records_out"] == 300);
    CHECK(j["collectors"][0]["records_out_per_second"] == 40.0);

    stats_view v = sample_view();
    v.before.reset();
    const auto k = nlohmann::json::parse(render_stats_json(v));
    CHECK(k["interval_seconds"].is_null());
    CHECK(k["rates_per_second"].is_null());
    CHECK(k["collectors"][0]["records_out_per_second"].is_null());
}

TEST_CASE("collectorsJson", "[stats][render]") {
    const auto j = nlohmann::json::parse(render_collectors_json(sample_view()));
    REQUIRE(j.size() == 1);
    REQUIRE(j["collectors"].size() == 1);
    CHECK(j["collectors"][0] == nlohmann::json::parse(R"({"collector": "127.0.0.1:2056", "messages_in": 10,
        "messages_out": 10, "records_out": 300, "bytes_out": 15000, "templates_sent": 2, "withdrawals_sent": 0,
        "unknown_sets_forwarded": 0, "unknown_sets_dropped": 0, "records_too_big": 0, "sent_datagrams": 9,
        "sent_bytes": 13500, "dropped_buffer_full": 1, "dropped_unreachable": 0, "dropped_no_neighbour": 0,
        "dropped_other": 0, "unshared_streams": 0, "records_out_per_second": 40.0})"));
}

TEST_CASE("collectorsJsonShowsTheMtuInUse", "[stats][render]") {
    stats_view v = sample_view();
    v.now.mtus = {9216};
    const auto j = nlohmann::json::parse(render_collectors_json(v));
    CHECK(j["collectors"][0]["mtu"] == 9216);
    CHECK(j["collectors"][0]["collector"] == "127.0.0.1:2056");
    CHECK_FALSE(nlohmann::json::parse(render_collectors_json(sample_view()))["collectors"][0].contains("mtu"));
}
