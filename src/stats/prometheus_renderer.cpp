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
            family(out, def.metric, "counter", def.help);
            open = def.metric;
        }
        if (def.label_name.empty()) {
            fmt::format_to(std::back_inserter(out), "{}{} {}\n", prefix, def.metric, def.get(v.now));
        } else {
            fmt::format_to(std::back_inserter(out), "{}{}{{{}=\"{}\"}} {}\n", prefix, def.metric, def.label_name,
                           escape_label(def.label_value), def.get(v.now));
        }
    }
    for (const auto& def : collector_counters()) {
        family(out, def.metric, "counter", def.help);
        for (size_t i = 0; i < v.now.collectors.size(); ++i) {
            const std::string name = i < v.collectors.size() ? v.collectors[i] : fmt::format("#{}", i);
            fmt::format_to(std::back_inserter(out), "{}{}{{collector=\"{}\"}} {}\n", prefix, def.metric,
                           escape_label(name), def.get(v.now.collectors[i]));
        }
    }
    return out;
}

}  // namespace ipfix::stats
