// The telnet tables of renderers.hpp.
#include <fmt/format.h>

#include "ipfix/stats/counter_catalog.hpp"
#include "ipfix/stats/renderers.hpp"
#include "ipfix/stats/text_table.hpp"

namespace ipfix::stats {
namespace {

std::string format_duration(double seconds) {
    auto s = static_cast<uint64_t>(seconds < 0 ? 0 : seconds);
    const uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
    s %= 60;
    if (d > 0) return fmt::format("{}d{:02}h{:02}m{:02}s", d, h, m, s);
    if (h > 0) return fmt::format("{}h{:02}m{:02}s", h, m, s);
    if (m > 0) return fmt::format("{}m{:02}s", m, s);
    return fmt::format("{}s", s);
}

// Per second over the interval; "-" without one. A counter below its earlier value (cannot
// happen while the pipeline runs) shows 0 rather than a huge number.
std::string rate(uint64_t now, const uint64_t* before, double interval) {
    if (before == nullptr || interval <= 0) return "-";
    const uint64_t delta = now >= *before ? now - *before : 0;
    return fmt::format("{:.1f}", static_cast<double>(delta) / interval);
}

}  // namespace

// TCP collectors' links (none: nothing, so UDP-only output is as before).
static std::string render_links(const stats_view& v) {
    text_table t({"tcp collector", "state", "last success ms", "backlog msgs", "backlog bytes", "spooled", "replayed",
                  "dropped", "acknowledged", "connects"});
    bool any = false;
    for (size_t i = 0; i < v.now.links.size(); ++i) {
        const pipeline::collector_health& h = v.now.links[i];
        if (!h.tcp) continue;
        any = true;
        t.add_row({i < v.collectors.size() ? v.collectors[i] : fmt::format("#{}", i), std::string(pipeline::link_state_name(h.state)),
                   fmt::format("{}", h.last_success_ms), fmt::format("{}", h.backlog_messages),
                   fmt::format("{}", h.backlog_bytes), fmt::format("{}", h.spooled), fmt::format("{}", h.replayed),
                   fmt::format("{}", h.dropped), fmt::format("{}", h.sent), fmt::format("{}", h.connects)});
    }
    if (!any) return {};
    std::string out("\n");
    out += t.render();
    return out;
}

std::string render_collectors_table(const stats_view& v) {
    std::vector<std::string> header = {"collector"};
    for (const auto& def : collector_counters()) header.emplace_back(def.label);
    header.emplace_back("records/s");
    text_table t(std::move(header));
    for (size_t i = 0; i < v.now.collectors.size(); ++i) {
        const auto& c = v.now.collectors[i];
        std::vector<std::string> row = {i < v.collectors.size() ? v.collectors[i] : fmt::format("#{}", i)};
        for (const auto& def : collector_counters()) row.push_back(fmt::format("{}", def.value(v.now, i)));
        const bool has_before = v.before && i < v.before->collectors.size();
        const uint64_t before = has_before ? v.before->collectors[i].records_out : 0;
        row.push_back(rate(c.records_out, has_before ? &before : nullptr, v.interval_seconds));
        t.add_row(std::move(row));
    }
    if (v.now.collectors.empty()) return "no collectors configured\n";
    return t.render() + render_links(v);
}

std::string render_stats_table(const stats_view& v) {
    std::string out = fmt::format("uptime {}, pipeline {}, ", format_duration(v.uptime_seconds),
                                  v.running ? "running" : "stopped");
    if (v.before && v.interval_seconds > 0) {
        out += fmt::format("rates per second over the last {:.1f} s\n", v.interval_seconds);
    } else {
        out += "no rates yet (first interval)\n";
    }
    for (const auto& section : counter_sections()) {
        text_table t({std::string(section.title), "total", "per second"});
        for (const auto& def : daemon_counters()) {
            if (def.section != section.key) continue;
            const uint64_t now = def.get(v.now);
            const uint64_t before = v.before ? def.get(*v.before) : 0;
            t.add_row({std::string(def.label), fmt::format("{}", now),
                       rate(now, v.before && !def.gauge ? &before : nullptr, v.interval_seconds)});
        }
        out += '\n';
        out += t.render();
    }
    out += '\n';
    out += render_collectors_table(v);
    return out;
}

}  // namespace ipfix::stats
