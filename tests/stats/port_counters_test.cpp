// The dpdk backend's port counters on the stats port: each live_counters field in its own row,
// JSON key and Prometheus series (distinct values, so a mixed-up getter shows).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "ipfix/stats/renderers.hpp"

using namespace ipfix;
using namespace ipfix::stats;

namespace {

stats_view port_view() {
    stats_view v;
    auto& io = v.now.io;
    io.rx_frames = 1001;
    io.drop_not_for_us = 11;
    io.drop_not_ip = 12;
    io.drop_not_udp = 13;
    io.drop_wrong_port = 14;
    io.drop_fragment = 15;
    io.drop_bad_checksum = 16;
    io.drop_malformed = 17;
    io.arp_replies_sent = 21;
    io.arp_requests_sent = 22;
    io.neighbour_updates = 23;
    io.tx_unresolved = 24;
    io.exception_out = 25;
    io.exception_in = 26;
    v.now.backend.neighbours_resolved = 31;
    v.now.backend.neighbours = 3;
    v.now.backend.port_rx_dropped = 18;
    v.now.backend.port_tx_errors = 27;
    return v;
}

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("port counters: JSON section 'port', one key per counter") {
    const auto j = nlohmann::json::parse(render_stats_json(port_view()));
    const nlohmann::json want = {
        {"frames_received", 1001}, {"drop_not_for_us", 11}, {"drop_not_ip", 12}, {"drop_not_udp", 13},
        {"drop_wrong_port", 14}, {"drop_fragment", 15}, {"drop_bad_checksum", 16}, {"drop_malformed", 17},
        {"drop_port_rx", 18}, {"neighbour_replies_sent", 21}, {"neighbour_requests_sent", 22}, {"neighbour_updates", 23},
        {"neighbours_resolved", 31}, {"neighbours", 3}, {"unresolved_drops", 24}, {"tx_errors", 27}, {"exception_out", 25},
        {"exception_in", 26}};
    CHECK(j.at("port") == want);
}

TEST_CASE("port counters: Prometheus families with their labels and types") {
    const std::string m = render_prometheus(port_view());
    for (const char* line : {
             "ipfix_enricher_port_frames_received_total 1001",
             "ipfix_enricher_port_dropped_frames_total{reason=\"not_for_us\"} 11",
             "ipfix_enricher_port_dropped_frames_total{reason=\"not_ip\"} 12",
             "ipfix_enricher_port_dropped_frames_total{reason=\"not_udp\"} 13",
             "ipfix_enricher_port_dropped_frames_total{reason=\"wrong_port\"} 14",
             "ipfix_enricher_port_dropped_frames_total{reason=\"fragment\"} 15",
             "ipfix_enricher_port_dropped_frames_total{reason=\"bad_checksum\"} 16",
             "ipfix_enricher_port_dropped_frames_total{reason=\"malformed\"} 17",
             "ipfix_enricher_port_dropped_frames_total{reason=\"port_rx\"} 18",
             "ipfix_enricher_port_transmit_errors_total 27",
             "ipfix_enricher_port_neighbour_packets_sent_total{kind=\"reply\"} 21",
             "ipfix_enricher_port_neighbour_packets_sent_total{kind=\"request\"} 22",
             "ipfix_enricher_port_neighbour_updates_total 23",
             "ipfix_enricher_port_neighbours_resolved_total 31",
             "# TYPE ipfix_enricher_port_neighbours gauge",
             "ipfix_enricher_port_neighbours 3",
             "ipfix_enricher_port_unresolved_drops_total 24",
             "ipfix_enricher_port_exception_frames_total{direction=\"to_host\"} 25",
             "ipfix_enricher_port_exception_frames_total{direction=\"from_host\"} 26",
             "# TYPE ipfix_enricher_port_dropped_frames_total counter",
         }) {
        INFO(line);
        CHECK(has_line(m, line));
    }
}

TEST_CASE("port counters: the stats table has the ports section") {
    const std::string t = render_stats_table(port_view());
    CHECK(t.find("ports (dpdk backend)") != std::string::npos);
    CHECK(t.find("ARP/ND replies sent") != std::string::npos);
}
