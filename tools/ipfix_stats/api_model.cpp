#include "api_model.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ipfix::tools {
namespace {

using json = nlohmann::ordered_json;

json parse_object(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error("not a JSON object");
    return j;
}

uint64_t count_of(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_number_unsigned() && !it->is_number_integer()) {
        throw std::runtime_error(std::string("\"") + key + "\" is not a count");
    }
    return it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
}

std::string text_of(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& array_at(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_array()) throw std::runtime_error(std::string("no \"") + key + "\" list");
    return *it;
}

std::vector<named_counter> counters_of(const json& object) {
    std::vector<named_counter> out;
    for (const auto& [key, value] : object.items()) {
        if (value.is_number_unsigned() || value.is_number_integer()) out.push_back({key, count_of(object, key.c_str())});
    }
    return out;
}

std::vector<as_entry> as_list(const json& j, const char* key) {
    std::vector<as_entry> out;
    for (const auto& e : array_at(j, key)) {
        if (!e.is_object()) throw std::runtime_error("an AS entry is not an object");
        out.push_back({static_cast<uint32_t>(count_of(e, "as")), text_of(e, "name"), count_of(e, "records"),
                       count_of(e, "bytes")});
    }
    return out;
}

}  // namespace

uint64_t collector_stats::get(std::string_view key) const {
    for (const auto& c : counters) {
        if (c.key == key) return c.value;
    }
    return 0;
}

const counter_section* daemon_stats::section(std::string_view name) const {
    for (const auto& s : sections) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

uint64_t daemon_stats::get(std::string_view section_name, std::string_view key) const {
    if (const counter_section* s = section(section_name)) {
        for (const auto& c : s->counters) {
            if (c.key == key) return c.value;
        }
    }
    return 0;
}

daemon_stats parse_stats(std::string_view json_text) {
    const json j = parse_object(json_text);
    daemon_stats s;
    if (const auto it = j.find("running"); it != j.end() && it->is_boolean()) s.running = it->get<bool>();
    if (const auto it = j.find("uptime_seconds"); it != j.end() && it->is_number()) s.uptime_seconds = it->get<double>();
    for (const auto& [key, value] : j.items()) {
        // Counter sections are the objects of counts; rates_per_second is the daemon's own view.
        if (!value.is_object() || key == "rates_per_second") continue;
        s.sections.push_back({key, counters_of(value)});
    }
    if (j.contains("collectors")) {
        for (const auto& c : array_at(j, "collectors")) {
            if (!c.is_object()) throw std::runtime_error("a collector is not an object");
            s.collectors.push_back({text_of(c, "collector"), counters_of(c), text_of(c, "state")});
        }
    }
    if (s.section("traffic") == nullptr) throw std::runtime_error("no \"traffic\" counters");
    return s;
}

as_stats parse_as(std::string_view json_text) {
    const json j = parse_object(json_text);
    return {as_list(j, "source"), as_list(j, "destination")};
}

std::vector<talker> parse_top(std::string_view json_text) {
    const json j = parse_object(json_text);
    std::vector<talker> out;
    for (const auto& t : array_at(j, "talkers")) {
        if (!t.is_object()) throw std::runtime_error("a talker is not an object");
        out.push_back({text_of(t, "address"), count_of(t, "records"), count_of(t, "bytes")});
    }
    return out;
}

std::vector<exporter_stats> parse_exporters(std::string_view json_text) {
    const json j = parse_object(json_text);
    std::vector<exporter_stats> out;
    for (const auto& e : array_at(j, "exporters")) {
        if (!e.is_object()) throw std::runtime_error("an exporter is not an object");
        exporter_stats x;
        x.address = text_of(e, "address");
        x.port = static_cast<uint16_t>(count_of(e, "port"));
        x.version = static_cast<unsigned>(count_of(e, "version"));
        x.datagrams = count_of(e, "datagrams");
        x.records = count_of(e, "records");
        x.bytes = count_of(e, "bytes");
        x.sequence_gaps = count_of(e, "sequence_gaps");
        x.malformed = count_of(e, "malformed");
        x.last_seen_ms = count_of(e, "last_seen_ms");
        out.push_back(std::move(x));
    }
    return out;
}

}  // namespace ipfix::tools
