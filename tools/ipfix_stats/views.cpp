#include "views.hpp"

#include <fmt/format.h>

#include "text_grid.hpp"

namespace ipfix::tools {
namespace {

using lines = std::vector<std::string>;

std::string n(uint64_t v) { return std::to_string(v); }

// Per second between the two polls; empty when there is no earlier poll (or a counter went back,
// as after a daemon restart).
std::optional<double> rate(const screen_data& d, uint64_t now_value, uint64_t before_value) {
    if (!d.before || !d.now || before_value > now_value) return std::nullopt;
    const double dt = d.now->at_seconds - d.before->at_seconds;
    if (dt <= 0) return std::nullopt;
    return static_cast<double>(now_value - before_value) / dt;
}

std::string rate_text(std::optional<double> r) { return r ? fmt::format("{:.1f}", *r) : "-"; }

const daemon_stats* stats_now(const screen_data& d) { return d.now && d.now->stats.value ? &*d.now->stats.value : nullptr; }
const daemon_stats* stats_before(const screen_data& d) {
    return d.before && d.before->stats.value ? &*d.before->stats.value : nullptr;
}

std::string counter_rate(const screen_data& d, std::string_view section, std::string_view key) {
    const daemon_stats* s = stats_now(d);
    const daemon_stats* b = stats_before(d);
    if (s == nullptr || b == nullptr) return "-";
    return rate_text(rate(d, s->get(section, key), b->get(section, key)));
}

void append(lines& out, const lines& more) { out.insert(out.end(), more.begin(), more.end()); }

// Every counter of a section, with its total and rate.
lines section_table(const screen_data& d, std::string_view section, std::string_view title) {
    const daemon_stats* s = stats_now(d);
    grid_rows rows{{std::string(title), "total", "per second"}};
    if (const counter_section* sec = s != nullptr ? s->section(section) : nullptr) {
        for (const auto& c : sec->counters) rows.push_back({c.key, n(c.value), counter_rate(d, section, c.key)});
    }
    return format_grid(rows);
}

std::string collector_health(const screen_data& d, const collector_stats& c) {
    if (!c.state.empty()) return c.state;
    const daemon_stats* b = stats_before(d);
    if (b == nullptr) return "-";
    for (const auto& old : b->collectors) {
        if (old.name != c.name) continue;
        const bool fed = c.get("messages_in") > old.get("messages_in");
        const bool sent = c.get("messages_out") > old.get("messages_out");
        if (fed && !sent) return "stalled";
        return fed ? "ok" : "idle";
    }
    return "-";
}

lines collectors_table(const screen_data& d) {
    const daemon_stats* s = stats_now(d);
    if (s == nullptr) return {};
    if (s->collectors.empty()) return {"collectors: none configured"};
    grid_rows rows{{"collector", "messages in", "messages out", "records out", "records/s", "bytes out", "state"}};
    const daemon_stats* b = stats_before(d);
    for (const auto& c : s->collectors) {
        std::string r = "-";
        if (b != nullptr) {
            for (const auto& old : b->collectors) {
                if (old.name == c.name) r = rate_text(rate(d, c.get("records_out"), old.get("records_out")));
            }
        }
        rows.push_back({c.name, n(c.get("messages_in")), n(c.get("messages_out")), n(c.get("records_out")), r,
                        n(c.get("bytes_out")), collector_health(d, c)});
    }
    return format_grid(rows);
}

uint64_t section_sum(const daemon_stats& s, std::string_view section) {
    uint64_t sum = 0;
    if (const counter_section* sec = s.section(section)) {
        for (const auto& c : sec->counters) sum += c.value;
    }
    return sum;
}

lines overview(const screen_data& d) {
    const daemon_stats* s = stats_now(d);
    if (s == nullptr) return {"no counters yet"};
    grid_rows rows{{"traffic", "total", "per second"}};
    const std::array<std::array<std::string_view, 3>, 6> main_rows = {{
        {"datagrams in", "traffic", "received_datagrams"},
        {"records", "decode", "records"},
        {"bytes in", "traffic", "received_bytes"},
        {"datagrams out", "traffic", "sent_datagrams"},
        {"bytes out", "traffic", "sent_bytes"},
        {"AS lookups", "enrich", "lookups"},
    }};
    for (const auto& [label, section, key] : main_rows) {
        rows.push_back({std::string(label), n(s->get(section, key)), counter_rate(d, section, key)});
    }
    lines out = format_grid(rows);
    out.emplace_back();
    const daemon_stats* b = stats_before(d);
    const uint64_t drops = section_sum(*s, "drops");
    const uint64_t malformed = section_sum(*s, "malformed");
    out.push_back(fmt::format("drops {} ({}/s), malformed {} ({}/s), sequence gaps {}, AS not found {}", drops,
                              b != nullptr ? rate_text(rate(d, drops, section_sum(*b, "drops"))) : "-", malformed,
                              b != nullptr ? rate_text(rate(d, malformed, section_sum(*b, "malformed"))) : "-",
                              s->get("decode", "sequence_gaps"), s->get("enrich", "lookups_not_found")));
    // The reasons behind those totals, the ones that happened.
    for (std::string_view section : {"drops", "malformed"}) {
        std::string reasons;
        if (const counter_section* sec = s->section(section)) {
            for (const auto& c : sec->counters) {
                if (c.value == 0) continue;
                reasons += reasons.empty() ? "" : ", ";
                reasons += fmt::format("{} {}", c.key, c.value);
            }
        }
        if (!reasons.empty()) out.push_back(fmt::format("  {}: {}", section, reasons));
    }
    out.emplace_back();
    append(out, collectors_table(d));
    return out;
}

std::string missing_line(std::string_view what, std::string_view path, std::string_view why) {
    return fmt::format("{}: n/a (the daemon does not serve {}: {})", what, path, why);
}

lines as_table(const std::vector<as_entry>& list, std::string_view title) {
    if (list.empty()) return {fmt::format("{}: none yet", title)};
    grid_rows rows{{"AS", "name", "records", "bytes"}};
    for (const auto& e : list) rows.push_back({n(e.as), e.name.empty() ? "-" : e.name, n(e.records), n(e.bytes)});
    lines out{std::string(title)};
    append(out, format_grid(rows, 2));
    return out;
}

lines as_view(const screen_data& d) {
    const auto& f = d.now->as;
    if (!f.value) return {missing_line("top AS", "/api/v1/as", f.missing)};
    lines out = as_table(f.value->source, "top source AS");
    out.emplace_back();
    append(out, as_table(f.value->destination, "top destination AS"));
    return out;
}

lines talkers_view(const screen_data& d) {
    const auto& f = d.now->top;
    if (!f.value) return {missing_line("top talkers", "/api/v1/top", f.missing)};
    if (f.value->empty()) return {"top talkers: none yet"};
    grid_rows rows{{"address", "records", "bytes"}};
    for (const auto& t : *f.value) rows.push_back({t.address, n(t.records), n(t.bytes)});
    lines out{"top talkers"};
    append(out, format_grid(rows));
    return out;
}

lines exporters_view(const screen_data& d) {
    const auto& f = d.now->exporters;
    if (!f.value) return {missing_line("exporters", "/api/v1/exporters", f.missing)};
    if (f.value->empty()) return {"exporters: none yet"};
    grid_rows rows{{"exporter", "version", "datagrams", "records", "bytes", "seq gaps", "malformed", "last seen"}};
    for (const auto& e : *f.value) {
        std::string where = e.address.find(':') != std::string::npos ? "[" + e.address + "]" : e.address;
        where += ':';
        where += n(e.port);
        const uint64_t now_ms = d.now->wall_ms;
        const std::string seen =
            e.last_seen_ms == 0 ? "-"
                                : format_duration(now_ms > e.last_seen_ms ? static_cast<double>(now_ms - e.last_seen_ms) / 1000.0 : 0.0) +
                                      " ago";
        rows.push_back({where, n(e.version), n(e.datagrams), n(e.records), n(e.bytes), n(e.sequence_gaps),
                        n(e.malformed), seen});
    }
    lines out = format_grid(rows);
    out.insert(out.begin(), "exporters");
    return out;
}

lines errors_view(const screen_data& d) {
    if (stats_now(d) == nullptr) return {"no counters yet"};
    lines out = section_table(d, "drops", "drops");
    out.emplace_back();
    append(out, section_table(d, "malformed", "malformed (by reason)"));
    out.emplace_back();
    const daemon_stats* s = stats_now(d);
    grid_rows rows{{"decode and enrich", "total", "per second"}};
    const std::array<std::array<std::string_view, 3>, 5> more = {{
        {"sequence gaps", "decode", "sequence_gaps"},
        {"sequence lost", "decode", "sequence_lost"},
        {"sequence reordered", "decode", "sequence_reordered"},
        {"streams evicted", "decode", "streams_evicted"},
        {"AS lookups not found", "enrich", "lookups_not_found"},
    }};
    for (const auto& [label, section, key] : more) {
        rows.push_back({std::string(label), n(s->get(section, key)), counter_rate(d, section, key)});
    }
    append(out, format_grid(rows));
    if (!s->collectors.empty()) {
        out.emplace_back();
        static constexpr std::array<std::array<std::string_view, 2>, 7> columns = {{
            {"records too big", "records_too_big"},
            {"unknown sets dropped", "unknown_sets_dropped"},
            {"dropped: buffer full", "dropped_buffer_full"},
            {"dropped: unreachable", "dropped_unreachable"},
            {"dropped: no neighbour", "dropped_no_neighbour"},
            {"dropped: other", "dropped_other"},
            {"unshared streams", "unshared_streams"},
        }};
        grid_rows c{{"collector"}};
        for (const auto& [label, key] : columns) c[0].emplace_back(label);
        for (const auto& col : s->collectors) {
            c.push_back({col.name});
            for (const auto& [label, key] : columns) c.back().push_back(n(col.get(key)));
        }
        append(out, format_grid(c));
    }
    return out;
}

}  // namespace

std::string format_duration(double seconds) {
    const auto s = static_cast<uint64_t>(seconds < 0 ? 0 : seconds);
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h {:02}m", s / 3600, s % 3600 / 60);
    return fmt::format("{}d {:02}h", s / 86400, s % 86400 / 3600);
}

std::string render_header(const screen_data& d) {
    std::string h = "ipfix-enricher " + d.target;
    if (!d.unreachable.empty()) {
        return h + fmt::format("  UNREACHABLE, retrying every {}s ({} failed polls)", d.interval_seconds, d.failed_polls);
    }
    const daemon_stats* s = stats_now(d);
    if (s == nullptr) return h + "  connecting...";
    h += s->running ? "  running" : "  PIPELINE STOPPED";
    h += "  up " + format_duration(s->uptime_seconds);
    h += fmt::format("  updated {} every {}s", d.updated, d.interval_seconds);
    if (d.paused) h += "  PAUSED";
    return h;
}

std::string render_tabs(view_id active) {
    std::string t;
    for (size_t i = 0; i < view_names.size(); ++i) {
        if (i > 0) t += "  ";
        const std::string name = fmt::format("{} {}", i + 1, view_names[i]);
        t += i == static_cast<size_t>(active) ? "[" + name + "]" : name;
    }
    return t;
}

std::string render_footer() { return "1-5/Tab: view  p: pause  q: quit"; }

std::vector<std::string> render_view(view_id v, const screen_data& d) {
    if (!d.unreachable.empty()) {
        return {fmt::format("cannot reach the daemon at {}: {}", d.target, d.unreachable),
                fmt::format("retrying every {}s", d.interval_seconds)};
    }
    if (!d.now) return {"waiting for the first answer"};
    switch (v) {
        case view_id::overview: return overview(d);
        case view_id::as: return as_view(d);
        case view_id::talkers: return talkers_view(d);
        case view_id::exporters: return exporters_view(d);
        case view_id::errors: return errors_view(d);
    }
    return {};
}

}  // namespace ipfix::tools
