#include "packet_summary.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ipfix::monitor {
namespace {

void add_distinct(std::vector<uint64_t>& to, uint64_t v) {
    if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(v);
}

std::string endpoint(const proto::exporter_endpoint& e) {
    if (e.address.family == 6) return fmt::format("[{}]:{}", e.address.to_string(), e.port);
    return fmt::format("{}:{}", e.address.to_string(), e.port);
}

std::string utc_time(uint64_t time_us) {
    const auto seconds = static_cast<std::time_t>(time_us / 1'000'000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, time_us % 1'000'000);
}

const char* version_name(proto::protocol_version v) {
    switch (v) {
        case proto::protocol_version::netflow_v5: return "v5";
        case proto::protocol_version::netflow_v9: return "v9";
        case proto::protocol_version::ipfix: return "IPFIX";
    }
    return "?";
}

std::string as_list(const std::vector<uint64_t>& as, size_t max) {
    std::string out;
    for (size_t i = 0; i < as.size() && i < max; ++i) {
        if (i) out += ',';
        out += std::to_string(as[i]);
    }
    if (as.size() > max) out += fmt::format(",+{}", as.size() - max);
    return out;
}

// ANSI SGR codes, or nothing without colour.
struct paint {
    bool on;
    std::string operator()(const char* code, const std::string& text) const {
        return on ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
    }
};

}  // namespace

packet_summary summarise(const io::captured_frame& f, const io::udp_datagram& d, bool ok,
                         const proto::decoded_message& m) {
    packet_summary p;
    p.frame = f.number;
    p.time_us = f.time_us;
    p.exporter = d.source;
    p.destination = {d.destination, d.destination_port};
    p.length = d.payload.size();
    p.decoded = ok;
    if (!ok) return p;
    p.header = m.header;
    p.records = m.records.size();
    p.templates = m.template_events.size();
    p.unknown_sets = m.unknown_data_sets;
    p.malformed = m.malformed;
    for (const proto::record_view& r : m.records) {
        if (const auto a = r.source_as()) add_distinct(p.source_as, *a);
        if (const auto a = r.destination_as()) add_distinct(p.destination_as, *a);
    }
    return p;
}

std::string text_line(const packet_summary& p, const line_style& style) {
    const paint c{style.colour};
    std::string line = fmt::format("{} {} > {} {} B", utc_time(p.time_us), c("1", endpoint(p.exporter)),
                                   endpoint(p.destination), p.length);
    // Appended piecewise throughout: GCC 12 -O3 warns falsely on "literal" + std::string.
    if (!p.decoded) {
        line += ' ';
        line += c("31", "not NetFlow/IPFIX (header unusable)");
        return line;
    }
    line += fmt::format(" {} dom {} seq {} {} rec", c("36", version_name(p.header.version)), p.header.domain,
                        p.header.sequence, p.records);
    if (p.templates) line += fmt::format(" {} tmpl", p.templates);
    if (p.unknown_sets) {
        line += ' ';
        line += c("33", fmt::format("{} set(s) of unknown templates", p.unknown_sets));
    }
    if (p.malformed) {
        line += ' ';
        line += c("31", fmt::format("{} malformed", p.malformed));
    }
    if (!p.source_as.empty() || !p.destination_as.empty()) {
        line += " AS";
        if (!p.source_as.empty()) {
            line += " src ";
            line += c("32", as_list(p.source_as, style.max_as));
        }
        if (!p.destination_as.empty()) {
            line += " dst ";
            line += c("32", as_list(p.destination_as, style.max_as));
        }
    }
    return line;
}

std::string json_line(const packet_summary& p) {
    nlohmann::ordered_json j;
    j["frame"] = p.frame;
    j["time"] = utc_time(p.time_us);
    j["exporter"] = endpoint(p.exporter);
    j["destination"] = endpoint(p.destination);
    j["length"] = p.length;
    j["decoded"] = p.decoded;
    if (p.decoded) {
        j["version"] = static_cast<int>(p.header.version);
        j["domain"] = p.header.domain;
        j["sequence"] = p.header.sequence;
        j["records"] = p.records;
        j["templates"] = p.templates;
        j["unknown_sets"] = p.unknown_sets;
        j["malformed"] = p.malformed;
        j["source_as"] = p.source_as;
        j["destination_as"] = p.destination_as;
    }
    return j.dump();
}

}  // namespace ipfix::monitor
