// The Prometheus text exposition format (version 0.0.4) of renderers.hpp.
#include <fmt/format.h>

#include "ipfix/stats/counter_catalog.hpp"
#include "ipfix/stats/renderers.hpp"

namespace ipfix::stats {
namespace {

constexpr std::string_view prefix = "ipfix_enricher_";

std::string escape_label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {}{} {}\n# TYPE {}{} {}\n", prefix, name, help, prefix, name, type);
}

// TCP collectors' links, one family per figure; nothing when there are none (UDP only).
void render_links(std::string& out, const stats_view& v) {
    struct figure {
        std::string_view metric, type, help;
        uint64_t (*get)(const pipeline::collector_health&);
    };
    static constexpr figure figures[] = {
        {"collector_link_connected", "gauge", "1 while the TCP collector is connected.",
         [](const pipeline::collector_health& h) -> uint64_t { return h.state == pipeline::link_state::connected; }},
        {"collector_link_last_success_timestamp_seconds", "gauge",
         "Unix time of the last write the TCP collector acknowledged; 0: never.",
         [](const pipeline::collector_health& h) { return h.last_success_ms / 1000; }},
        {"collector_spool_messages", "gauge", "Messages waiting in the TCP collector's spool.",
         [](const pipeline::collector_health& h) { return h.backlog_messages; }},
        {"collector_spool_bytes", "gauge", "Bytes waiting in the TCP collector's spool.",
         [](const pipeline::collector_health& h) { return h.backlog_bytes; }},
        {"collector_spooled_messages_total", "counter", "Messages put into the TCP collector's spool.",
         [](const pipeline::collector_health& h) { return h.spooled; }},
        {"collector_replayed_messages_total", "counter", "Messages written to the TCP collector from its spool.",
         [](const pipeline::collector_health& h) { return h.replayed; }},
        {"collector_link_dropped_messages_total", "counter",
         "Messages lost for the TCP collector (spool cap, refused spool writes, full queues, no spool).",
         [](const pipeline::collector_health& h) { return h.dropped; }},
        {"collector_acknowledged_messages_total", "counter", "Messages the TCP collector acknowledged.",
         [](const pipeline::collector_health& h) { return h.sent; }},
        {"collector_connects_total", "counter", "Connections made to the TCP collector.",
         [](const pipeline::collector_health& h) { return h.connects; }},
    };
    bool any = false;
    for (const auto& h : v.now.links) any |= h.tcp;
    if (!any) return;
    for (const figure& f : figures) {
        family(out, f.metric, f.type, f.help);
        for (size_t i = 0; i < v.now.links.size(); ++i) {
            if (!v.now.links[i].tcp) continue;
            const std::string name = i < v.collectors.size() ? v.collectors[i] : fmt::format("#{}", i);
            fmt::format_to(std::back_inserter(out), "{}{}{{collector=\"{}\"}} {}\n", prefix, f.metric, escape_label(name),
                           f.get(v.now.links[i]));
        }
    }
}

}  // namespace

std::string render_prometheus(const stats_view& v) {
    std::string out;
    family(out, "up", "gauge", "1 while the pipeline is forwarding.");
    fmt::format_to(std::back_inserter(out), "{}up {}\n", prefix, v.running ? 1 : 0);
    family(out, "uptime_seconds", "gauge", "Seconds since the stats server started.");
    fmt::format_to(std::back_inserter(out), "{}uptime_seconds {:.3f}\n", prefix, v.uptime_seconds);

    std::string_view open;
    for (const auto& def : daemon_counters()) {
        if (def.metric != open) {
            family(out, def.metric, def.gauge ? "gauge" : "counter", def.help);
            open = def.metric;
        }
        if (def.label_name.empty()) {
            fmt::format_to(std::back_inserter(out), "{}{} {}\n", prefix, def.metric, def.get(v.now));
        } else {
            fmt::format_to(std::back_inserter(out), "{}{}{{{}=\"{}\"}} {}\n", prefix, def.metric, def.label_name,
                           escape_label(def.label_value), def.get(v.now));
        }
    }
    open = {};
    for (const auto& def : collector_counters()) {
        if (def.metric != open) {
            family(out, def.metric, "counter", def.help);
            open = def.metric;
        }
        for (size_t i = 0; i < v.now.collectors.size(); ++i) {
            const std::string name = i < v.collectors.size() ? v.collectors[i] : fmt::format("#{}", i);
            fmt::format_to(std::back_inserter(out), "{}{}{{collector=\"{}\"", prefix, def.metric, escape_label(name));
            if (!def.label_name.empty()) {
                fmt::format_to(std::back_inserter(out), ",{}=\"{}\"", def.label_name, escape_label(def.label_value));
            }
            fmt::format_to(std::back_inserter(out), "}} {}\n", def.value(v.now, i));
        }
    }
    render_links(out, v);
    return out;
}

}  // namespace ipfix::stats
