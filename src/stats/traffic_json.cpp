// The JSON and Prometheus renderings of traffic_renderers.hpp.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipfix/stats/traffic_renderers.hpp"

namespace ipfix::stats {
namespace {

using json = nlohmann::ordered_json;

json as_list(const pipeline::heavy_list<uint32_t>& l, size_t n, const as_namer& names) {
    json a = json::array();
    for (size_t i = 0; i < l.entries.size() && i < n; ++i) {
        const auto& e = l.entries[i];
        a.push_back({{"as", e.key}, {"name", names ? names(e.key) : std::string()}, {"records", e.count},
                     {"bytes", e.other}});
    }
    return a;
}

std::string escape_label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

std::string render_exporters_json(const pipeline::traffic_report& r) {
    json list = json::array();
    for (const auto& e : r.exporters) {
        list.push_back({{"address", e.exporter.address.to_string()},
                        {"port", e.exporter.port},
                        {"version", e.version},
                        {"datagrams", e.datagrams},
                        {"records", e.records},
                        {"bytes", e.bytes},
                        {"sequence_gaps", e.sequence_gaps},
                        {"malformed", e.malformed},
                        {"last_seen_ms", e.last_seen_ms}});
    }
    return json{{"exporters", std::move(list)}}.dump(2) + "\n";
}

std::string render_templates_json(const pipeline::traffic_report& r) {
    json list = json::array();
    for (const auto& x : r.templates) {
        list.push_back({{"exporter", exporter_text(x.stream.exporter)},
                        {"domain", x.stream.domain},
                        {"template", x.id},
                        {"fields", x.fields},
                        {"options", x.options},
                        {"last_seen_ms", x.last_seen_ms}});
    }
    return json{{"templates", std::move(list)}}.dump(2) + "\n";
}

std::string render_as_json(const pipeline::traffic_report& r, size_t n, const as_namer& names) {
    json j;
    j["source"] = as_list(r.source_as, n, names);
    j["destination"] = as_list(r.destination_as, n, names);
    return j.dump(2) + "\n";
}

std::string render_top_json(const pipeline::traffic_report& r, size_t n) {
    json list = json::array();
    for (size_t i = 0; i < r.talkers.entries.size() && i < n; ++i) {
        const auto& e = r.talkers.entries[i];
        list.push_back({{"address", e.key.to_string()}, {"records", e.other}, {"bytes", e.count}});
    }
    return json{{"talkers", std::move(list)}}.dump(2) + "\n";
}

std::string render_exporter_metrics(const pipeline::traffic_report& r, size_t max_exporters) {
    struct family {
        std::string_view name, help;
        uint64_t pipeline::exporter_tally::*field;
    };
    static constexpr family families[] = {
        {"exporter_datagrams_total", "Datagrams received per exporter (the exporters with most records).",
         &pipeline::exporter_tally::datagrams},
        {"exporter_records_total", "Data records decoded per exporter.", &pipeline::exporter_tally::records},
        {"exporter_bytes_total", "UDP payload bytes received per exporter.", &pipeline::exporter_tally::bytes},
        {"exporter_sequence_gaps_total", "Sequence number gaps per exporter.",
         &pipeline::exporter_tally::sequence_gaps},
        {"exporter_malformed_total", "Malformed events per exporter.", &pipeline::exporter_tally::malformed},
    };
    const size_t n = std::min(max_exporters, r.exporters.size());
    std::string out;
    for (const family& f : families) {
        fmt::format_to(std::back_inserter(out), "# HELP ipfix_enricher_{} {}\n# TYPE ipfix_enricher_{} counter\n",
                       f.name, f.help, f.name);
        for (size_t i = 0; i < n; ++i) {
            const auto& e = r.exporters[i];
            fmt::format_to(std::back_inserter(out), "ipfix_enricher_{}{{exporter=\"{}\"}} {}\n", f.name,
                           escape_label(exporter_text(e.exporter)), e.*f.field);
        }
    }
    return out;
}

}  // namespace ipfix::stats
