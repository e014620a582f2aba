// The telnet tables of traffic_renderers.hpp.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "ipfix/io/socket_address.hpp"
#include "ipfix/stats/text_table.hpp"
#include "ipfix/stats/traffic_renderers.hpp"

namespace ipfix::stats {
namespace {

std::string utc_time(uint64_t ms) {
    if (ms == 0) return "-";
    const auto t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:%Y-%m-%d %H:%M:%S}", tm);
}

std::string percent(uint64_t part, uint64_t whole) {
    if (whole == 0) return "-";
    return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// What approximate counts mean, under a table whose summary left keys out.
std::string bound_note(uint64_t floor, uint32_t sample_every, std::string_view unit) {
    std::string out;
    if (floor > 0) {
        out += fmt::format("(space-saving summary: counts are upper bounds; anything not listed has at most {} {})\n",
                           floor, unit);
    }
    if (sample_every > 1) out += fmt::format("(every {}th record counted, scaled by {})\n", sample_every, sample_every);
    return out;
}

std::string as_section(std::string_view title, const pipeline::heavy_list<uint32_t>& l, size_t n,
                       uint32_t sample_every, const as_namer& names) {
    std::string out = fmt::format("{} ({} records)\n", title, l.total);
    if (l.entries.empty()) return out + "none yet\n";
    // The name beside the number, in the left-aligned first column.
    text_table t({"AS  name", "records", "share", "bytes"});
    for (size_t i = 0; i < l.entries.size() && i < n; ++i) {
        const auto& e = l.entries[i];
        const std::string name = names ? names(e.key) : std::string();
        t.add_row({name.empty() ? fmt::format("{}", e.key) : fmt::format("{}  {}", e.key, name),
                   fmt::format("{}", e.count), percent(e.count, l.total), fmt::format("{}", e.other)});
    }
    return out + t.render() + bound_note(l.floor, sample_every, "records");
}

}  // namespace

std::string exporter_text(const proto::exporter_endpoint& e) { return io::socket_address{e.address, e.port}.to_string(); }

std::string render_exporters_table(const pipeline::traffic_report& r) {
    if (r.exporters.empty() && r.exporters_untracked == 0) return "no exporters seen yet\n";
    text_table t({"exporter", "version", "datagrams", "records", "bytes", "seq gaps", "malformed", "last seen (UTC)"});
    for (const auto& e : r.exporters) {
        t.add_row({exporter_text(e.exporter), e.version ? fmt::format("{}", e.version) : "-",
                   fmt::format("{}", e.datagrams), fmt::format("{}", e.records), fmt::format("{}", e.bytes),
                   fmt::format("{}", e.sequence_gaps), fmt::format("{}", e.malformed), utc_time(e.last_seen_ms)});
    }
    std::string out = t.render();
    if (r.exporters_untracked > 0) {
        out += fmt::format("({} datagrams from exporters over the per-worker bound not listed)\n", r.exporters_untracked);
    }
    return out;
}

std::string render_templates_table(const pipeline::traffic_report& r) {
    if (r.templates.empty() && r.templates_untracked == 0) return "no templates seen yet\n";
    text_table t({"exporter", "version", "domain", "template", "kind", "fields", "last sent (UTC)"});
    for (const auto& x : r.templates) {
        t.add_row({exporter_text(x.stream.exporter), fmt::format("{}", static_cast<int>(x.stream.version)),
                   fmt::format("{}", x.stream.domain), fmt::format("{}", x.id), x.options ? "options" : "data",
                   fmt::format("{}", x.fields), utc_time(x.last_seen_ms)});
    }
    std::string out = t.render();
    if (r.templates_untracked > 0) {
        out += fmt::format("({} templates over the per-worker bound not listed)\n", r.templates_untracked);
    }
    return out;
}

std::string render_as_table(const pipeline::traffic_report& r, size_t n, const as_namer& names) {
    return as_section("source AS by records", r.source_as, n, r.sample_every, names) + "\n" +
           as_section("destination AS by records", r.destination_as, n, r.sample_every, names);
}

std::string render_top_table(const pipeline::traffic_report& r, size_t n) {
    const auto& l = r.talkers;
    std::string out = fmt::format("top talkers (source addresses) by bytes ({} bytes)\n", l.total);
    if (l.entries.empty()) return out + "none yet\n";
    text_table t({"address", "bytes", "share", "records"});
    for (size_t i = 0; i < l.entries.size() && i < n; ++i) {
        const auto& e = l.entries[i];
        t.add_row({e.key.to_string(), fmt::format("{}", e.count), percent(e.count, l.total), fmt::format("{}", e.other)});
    }
    return out + t.render() + bound_note(l.floor, r.sample_every, "bytes");
}

}  // namespace ipfix::stats
