#include "ipfix/stats/counter_catalog.hpp"

#include <array>
#include <vector>

namespace ipfix::stats {
namespace {

using pipeline::live_stats;
using proto::malformed;

std::vector<counter_def> make_daemon_counters() {
    std::vector<counter_def> c = {
        {"traffic", "datagrams in", "received_datagrams", "received_datagrams_total",
         "Datagrams received from exporters.", "", "", [](const live_stats& s) { return s.io.rx_datagrams; }},
        {"traffic", "bytes in", "received_bytes", "received_bytes_total",
         "Payload bytes received from exporters.", "", "", [](const live_stats& s) { return s.io.rx_bytes; }},
        {"traffic", "datagrams out", "sent_datagrams", "sent_datagrams_total",
         "Datagrams sent to collectors (all collectors).", "", "", [](const live_stats& s) { return s.io.tx_datagrams; }},
        {"traffic", "bytes out", "sent_bytes", "sent_bytes_total", "Payload bytes sent to collectors.", "", "",
         [](const live_stats& s) { return s.io.tx_bytes; }},

        {"drops", "socket buffer full (kernel)", "socket_buffer_full", "dropped_datagrams_total",
         "Datagrams dropped, by reason.", "reason", "socket_buffer_full",
         [](const live_stats& s) { return s.kernel_drops; }},
        {"drops", "oversized (over mbuf room)", "oversized", "dropped_datagrams_total", "Datagrams dropped, by reason.",
         "reason", "oversized", [](const live_stats& s) { return s.io.rx_truncated; }},
        {"drops", "worker ring full", "worker_ring_full", "dropped_datagrams_total", "Datagrams dropped, by reason.",
         "reason", "worker_ring_full", [](const live_stats& s) { return s.io.ring_full; }},
        {"drops", "send failed", "send_failed", "dropped_datagrams_total", "Datagrams dropped, by reason.", "reason",
         "send_failed", [](const live_stats& s) { return s.io.tx_dropped; }},
        {"drops", "bursts without mbufs", "bursts_without_mbufs", "receive_bursts_without_mbufs_total",
         "Receive bursts cut short for lack of mbufs.", "", "", [](const live_stats& s) { return s.io.pool_empty; }},
        {"drops", "untapped records", "untapped_records", "untapped_records_total",
         "Enriched records the tail stream and the retention store missed: a full record tap, or a template lost with it.",
         "", "", [](const live_stats& s) { return s.tap_drops; }},

        {"decode", "messages", "messages", "decoded_messages_total", "Messages (datagrams) offered to the decoder.", "",
         "", [](const live_stats& s) { return s.decode.messages; }},
        {"decode", "messages clean", "messages_clean", "decoded_messages_clean_total",
         "Messages decoded without any malformed count.", "", "", [](const live_stats& s) { return s.decode.messages_ok; }},
        {"decode", "records", "records", "records_total", "Data records decoded (options records included).", "", "",
         [](const live_stats& s) { return s.decode.records; }},
        {"decode", "options records", "options_records", "options_records_total", "Options data records decoded.", "",
         "", [](const live_stats& s) { return s.decode.options_records; }},
        {"decode", "templates learned", "templates_learned", "template_events_total", "Template events, by event.",
         "event", "learned", [](const live_stats& s) { return s.decode.templates_learned; }},
        {"decode", "templates refreshed", "templates_refreshed", "template_events_total", "Template events, by event.",
         "event", "refreshed", [](const live_stats& s) { return s.decode.templates_refreshed; }},
        {"decode", "templates redefined", "templates_redefined", "template_events_total", "Template events, by event.",
         "event", "redefined", [](const live_stats& s) { return s.decode.templates_redefined; }},
        {"decode", "templates withdrawn", "templates_withdrawn", "template_events_total", "Template events, by event.",
         "event", "withdrawn", [](const live_stats& s) { return s.decode.templates_withdrawn; }},
        {"decode", "templates expired", "templates_expired", "template_events_total", "Template events, by event.",
         "event", "expired", [](const live_stats& s) { return s.decode.templates_expired; }},
        {"decode", "templates evicted", "templates_evicted", "template_events_total", "Template events, by event.",
         "event", "evicted", [](const live_stats& s) { return s.decode.templates_evicted; }},
        {"decode", "streams evicted", "streams_evicted", "streams_evicted_total",
         "Exporter streams evicted over the stream bound.", "", "", [](const live_stats& s) { return s.decode.streams_evicted; }},
        {"decode", "sequence gaps", "sequence_gaps", "sequence_gaps_total", "Sequence number gaps seen.", "", "",
         [](const live_stats& s) { return s.decode.sequence_gaps; }},
        {"decode", "sequence lost", "sequence_lost", "sequence_lost_total",
         "Units (records, packets or flows) missing in sequence gaps.", "", "",
         [](const live_stats& s) { return s.decode.sequence_lost; }},
        {"decode", "sequence reordered", "sequence_reordered", "sequence_reordered_total",
         "Messages that arrived behind the expected sequence number.", "", "",
         [](const live_stats& s) { return s.decode.sequence_reordered; }},
        {"decode", "set padding bytes", "padding_bytes", "set_padding_bytes_total", "Set padding bytes skipped.", "", "",
         [](const live_stats& s) { return s.decode.padding_bytes; }},
    };
    for (size_t i = 0; i < proto::malformed_count; ++i) {
        const std::string_view reason = proto::to_string(static_cast<malformed>(i));
        c.push_back({"malformed", reason, reason, "malformed_total", "Malformed input seen by the decoder, by reason.",
                     "reason", reason, [i](const live_stats& s) { return s.decode.malformed_by_reason[i]; }});
    }
    const std::vector<counter_def> enrich = {
        {"enrich", "records", "records", "enrich_records_total", "Records seen by the enrich stage.", "", "",
         [](const live_stats& s) { return s.enrich.records; }},
        {"enrich", "records without address", "records_without_address", "enrich_records_without_address_total",
         "Records whose template has no address fields.", "", "", [](const live_stats& s) { return s.enrich.no_address; }},
        {"enrich", "lookups", "lookups", "as_lookups_total", "Addresses looked up in the AS database.", "", "",
         [](const live_stats& s) { return s.enrich.lookups; }},
        {"enrich", "lookups not found", "lookups_not_found", "as_lookups_not_found_total",
         "Lookups the AS database had no AS for.", "", "", [](const live_stats& s) { return s.enrich.not_found; }},
        {"enrich", "AS filled", "as_filled", "as_written_total", "AS numbers written, by kind.", "kind", "filled",
         [](const live_stats& s) { return s.enrich.filled; }},
        {"enrich", "AS overridden", "as_overridden", "as_written_total", "AS numbers written, by kind.", "kind",
         "overridden", [](const live_stats& s) { return s.enrich.overridden; }},
        {"enrich", "AS kept", "as_kept", "as_kept_total", "AS numbers of the router kept.", "", "",
         [](const live_stats& s) { return s.enrich.kept; }},
    };
    c.insert(c.end(), enrich.begin(), enrich.end());
    const std::vector<counter_def> store = {
        {"store", "failing (see the log)", "failing", "store_failing", "1 while a store write fails.", "", "",
         [](const live_stats& s) { return s.store.failing; }, true},
        {"store", "template write errors", "template_write_errors", "store_write_errors_total",
         "Store writes refused (disk full, I/O error), by part.", "part", "templates",
         [](const live_stats& s) { return s.store.template_write_errors; }},
        {"store", "retention write errors", "retention_write_errors", "store_write_errors_total",
         "Store writes refused (disk full, I/O error), by part.", "part", "retention",
         [](const live_stats& s) { return s.store.retention_write_errors; }},
        {"store", "spool write errors", "spool_write_errors", "store_write_errors_total",
         "Store writes refused (disk full, I/O error), by part.", "part", "spool",
         [](const live_stats& s) { return s.store.spool_write_errors; }},
        {"store", "spool lost (write failed)", "spool_lost_messages", "spool_lost_messages_total",
         "Messages for TCP collectors lost because their spool write was refused.", "", "",
         [](const live_stats& s) { return s.store.spool_lost_messages; }},
        {"store", "retention records written", "retention_records_written", "retention_records_written_total",
         "Records written to the retention store.", "", "", [](const live_stats& s) { return s.store.retention_records_written; }},
        {"store", "retention records held", "retention_records", "retention_records", "Records in the retention store.",
         "", "", [](const live_stats& s) { return s.store.retention_records; }, true},
        {"store", "retention bytes held", "retention_bytes", "retention_bytes", "Encoded bytes in the retention store.",
         "", "", [](const live_stats& s) { return s.store.retention_bytes; }, true},
        {"store", "retention expired", "retention_expired_records", "retention_removed_records_total",
         "Records removed from the retention store, by reason.", "reason", "expired",
         [](const live_stats& s) { return s.store.retention_expired_records; }},
        {"store", "retention dropped (size cap)", "retention_dropped_records", "retention_removed_records_total",
         "Records removed from the retention store, by reason.", "reason", "size_cap",
         [](const live_stats& s) { return s.store.retention_dropped_records; }},
        {"store", "retention lost (write failed)", "retention_lost_records", "retention_removed_records_total",
         "Records removed from the retention store, by reason.", "reason", "write_failed",
         [](const live_stats& s) { return s.store.retention_lost_records; }},
    };
    c.insert(c.end(), store.begin(), store.end());
    // The dpdk backend's Ethernet ports (all zero on the socket backend): frames, what was not
    // ours by reason, neighbour resolution and the exception interface.
    const std::vector<counter_def> port = {
        {"port", "frames in", "frames_received", "port_frames_received_total", "Ethernet frames received on the ports.",
         "", "", [](const live_stats& s) { return s.io.rx_frames; }},
        {"port", "not for us", "drop_not_for_us", "port_dropped_frames_total", "Frames not taken, by reason.", "reason",
         "not_for_us", [](const live_stats& s) { return s.io.drop_not_for_us; }},
        {"port", "not IP", "drop_not_ip", "port_dropped_frames_total", "Frames not taken, by reason.", "reason",
         "not_ip", [](const live_stats& s) { return s.io.drop_not_ip; }},
        {"port", "not UDP", "drop_not_udp", "port_dropped_frames_total", "Frames not taken, by reason.", "reason",
         "not_udp", [](const live_stats& s) { return s.io.drop_not_udp; }},
        {"port", "UDP to another port", "drop_wrong_port", "port_dropped_frames_total", "Frames not taken, by reason.",
         "reason", "wrong_port", [](const live_stats& s) { return s.io.drop_wrong_port; }},
        {"port", "IP fragments", "drop_fragment", "port_dropped_frames_total", "Frames not taken, by reason.", "reason",
         "fragment", [](const live_stats& s) { return s.io.drop_fragment; }},
        {"port", "bad checksum", "drop_bad_checksum", "port_dropped_frames_total", "Frames not taken, by reason.",
         "reason", "bad_checksum", [](const live_stats& s) { return s.io.drop_bad_checksum; }},
        {"port", "malformed frames", "drop_malformed", "port_dropped_frames_total", "Frames not taken, by reason.",
         "reason", "malformed", [](const live_stats& s) { return s.io.drop_malformed; }},
        // The ethdev's own count (rte_eth_stats: imissed + ierrors + rx_nombuf): frames lost
        // before a worker saw them, above all the port's receive ring full.
        {"port", "dropped by the port (ring full, errors)", "drop_port_rx", "port_dropped_frames_total",
         "Frames not taken, by reason.", "reason", "port_rx", [](const live_stats& s) { return s.backend.port_rx_dropped; }},
        {"port", "ARP/ND replies sent", "neighbour_replies_sent", "port_neighbour_packets_sent_total",
         "ARP and neighbour discovery packets sent, by kind.", "kind", "reply",
         [](const live_stats& s) { return s.io.arp_replies_sent; }},
        {"port", "ARP/ND requests sent", "neighbour_requests_sent", "port_neighbour_packets_sent_total",
         "ARP and neighbour discovery packets sent, by kind.", "kind", "request",
         [](const live_stats& s) { return s.io.arp_requests_sent; }},
        {"port", "neighbour updates", "neighbour_updates", "port_neighbour_updates_total",
         "ARP replies and neighbour advertisements learnt from.", "", "",
         [](const live_stats& s) { return s.io.neighbour_updates; }},
        {"port", "neighbours resolved (ever)", "neighbours_resolved", "port_neighbours_resolved_total",
         "Neighbour entries that got a MAC address.", "", "", [](const live_stats& s) { return s.backend.neighbours_resolved; }},
        {"port", "neighbours now", "neighbours", "port_neighbours", "Resolved neighbour entries now.", "", "",
         [](const live_stats& s) { return s.backend.neighbours; }, true},
        {"port", "output without neighbour", "unresolved_drops", "port_unresolved_drops_total",
         "Output dropped for want of a neighbour or a route.", "", "", [](const live_stats& s) { return s.io.tx_unresolved; }},
        {"port", "transmit errors", "tx_errors", "port_transmit_errors_total",
         "Frames the ports failed to transmit (rte_eth_stats oerrors).", "", "",
         [](const live_stats& s) { return s.backend.port_tx_errors; }},
        {"port", "to the exception interface", "exception_out", "port_exception_frames_total",
         "Frames through the exception (TAP) interface, by direction.", "direction", "to_host",
         [](const live_stats& s) { return s.io.exception_out; }},
        {"port", "from the exception interface", "exception_in", "port_exception_frames_total",
         "Frames through the exception (TAP) interface, by direction.", "direction", "from_host",
         [](const live_stats& s) { return s.io.exception_in; }},
    };
    c.insert(c.end(), port.begin(), port.end());
    return c;
}

constexpr std::array<collector_counter_def, 11> collector_defs = {{
    {"messages in", "messages_in", "collector_messages_in_total", "Messages handed to the collector's mediator.",
     [](const mediate::mediate_counters& c) { return c.messages_in; }},
    {"messages out", "messages_out", "collector_messages_out_total", "Messages written for the collector.",
     [](const mediate::mediate_counters& c) { return c.messages_out; }},
    {"records out", "records_out", "collector_records_out_total", "Records written for the collector.",
     [](const mediate::mediate_counters& c) { return c.records_out; }},
    {"bytes out", "bytes_out", "collector_bytes_out_total", "Message bytes written for the collector.",
     [](const mediate::mediate_counters& c) { return c.bytes_out; }},
    {"templates sent", "templates_sent", "collector_templates_sent_total", "Templates sent to the collector.",
     [](const mediate::mediate_counters& c) { return c.templates_sent; }},
    {"withdrawals sent", "withdrawals_sent", "collector_withdrawals_sent_total",
     "Template withdrawals sent to the collector.", [](const mediate::mediate_counters& c) { return c.withdrawals_sent; }},
    {"unknown sets forwarded", "unknown_sets_forwarded", "collector_unknown_sets_forwarded_total",
     "Sets of unknown templates forwarded unchanged.",
     [](const mediate::mediate_counters& c) { return c.unknown_sets_forwarded; }},
    {"unknown sets dropped", "unknown_sets_dropped", "collector_unknown_sets_dropped_total",
     "Sets of unknown templates dropped.", [](const mediate::mediate_counters& c) { return c.unknown_sets_dropped; }},
    {"records too big", "records_too_big", "collector_records_too_big_total",
     "Output records over the payload limit (dropped).",
     [](const mediate::mediate_counters& c) { return c.records_too_big; }},
    {"datagrams sent", "sent_datagrams", "collector_sent_datagrams_total",
     "Datagrams the TX side sent to the collector (handed to the kernel or the port; refused later by an ICMP "
     "error: counted as dropped too).", nullptr,
     [](const pipeline::collector_tx_counters& c) { return c.datagrams; }},
    {"bytes sent", "sent_bytes", "collector_sent_bytes_total", "Payload bytes the TX side sent to the collector.",
     nullptr, [](const pipeline::collector_tx_counters& c) { return c.bytes; }},
}};

// In tx_drop order: the telnet row, the JSON key, the Prometheus reason.
constexpr std::array<std::array<std::string_view, 3>, pipeline::tx_drop_count> tx_drop_names = {{
    {"dropped: buffer full", "dropped_buffer_full", "buffer_full"},
    {"dropped: unreachable", "dropped_unreachable", "unreachable"},
    {"dropped: no neighbour", "dropped_no_neighbour", "no_neighbour"},
    {"dropped: other", "dropped_other", "other"},
}};

std::vector<collector_counter_def> make_collector_counters() {
    std::vector<collector_counter_def> c(collector_defs.begin(), collector_defs.end());
    for (size_t i = 0; i < tx_drop_names.size(); ++i) {
        const auto& [label, key, reason] = tx_drop_names[i];
        collector_counter_def d{label, key, "collector_dropped_datagrams_total",
                                "Datagrams for the collector the TX side dropped, by reason."};
        d.label_name = "reason";
        d.label_value = reason;
        d.drop = static_cast<int>(i);
        c.push_back(d);
    }
    c.push_back({"unshared streams", "unshared_streams", "collector_unshared_streams_total",
                 "Exporter streams the shared output stream registry had no room for: their output domain and "
                 "sequence numbers are not kept across a restart.",
                 [](const mediate::mediate_counters& m) { return m.unshared_streams; }});
    return c;
}

constexpr std::array<section_def, 7> sections = {{
    {"traffic", "traffic"},
    {"drops", "drops"},
    {"decode", "decode"},
    {"malformed", "malformed (by reason)"},
    {"enrich", "enrich"},
    {"store", "store"},
    {"port", "ports (dpdk backend)"},
}};

}  // namespace

std::span<const counter_def> daemon_counters() {
    static const std::vector<counter_def> defs = make_daemon_counters();
    return defs;
}

std::span<const collector_counter_def> collector_counters() {
    static const std::vector<collector_counter_def> defs = make_collector_counters();
    return defs;
}

uint64_t collector_counter_def::value(const pipeline::live_stats& s, size_t i) const {
    if (get != nullptr) return i < s.collectors.size() ? get(s.collectors[i]) : 0;
    if (i >= s.collectors_tx.size()) return 0;
    return get_sent != nullptr ? get_sent(s.collectors_tx[i]) : s.collectors_tx[i].dropped[static_cast<size_t>(drop)];
}

std::span<const section_def> counter_sections() { return sections; }

}  // namespace ipfix::stats
