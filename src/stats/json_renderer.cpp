// The JSON API of renderers.hpp (nlohmann ordered_json: keys in catalog order, stable output).
#include <nlohmann/json.hpp>

#include "ipfix/stats/counter_catalog.hpp"
#include "ipfix/stats/renderers.hpp"

namespace ipfix::stats {
namespace {

using json = nlohmann::ordered_json;

double per_second(uint64_t now, uint64_t before, double interval) {
    return now >= before ? static_cast<double>(now - before) / interval : 0.0;
}

json collectors_array(const stats_view& v) {
    json list = json::array();
    const bool rates = v.before && v.interval_seconds > 0;
    for (size_t i = 0; i < v.now.collectors.size(); ++i) {
        json c;
        c["collector"] = i < v.collectors.size() ? v.collectors[i] : "#" + std::to_string(i);
        for (const auto& def : collector_counters()) c[std::string(def.key)] = def.value(v.now, i);
        if (rates && i < v.before->collectors.size()) {
            c["records_out_per_second"] =
                per_second(v.now.collectors[i].records_out, v.before->collectors[i].records_out, v.interval_seconds);
        } else {
            c["records_out_per_second"] = nullptr;
        }
        if (i < v.now.mtus.size()) c["mtu"] = v.now.mtus[i];  // mtu: auto resolved, or as configured
        if (i < v.now.links.size() && v.now.links[i].tcp) {
            const pipeline::collector_health& h = v.now.links[i];
            c["transport"] = "tcp";
            c["state"] = pipeline::link_state_name(h.state);
            c["last_success_ms"] = h.last_success_ms;
            c["backlog_messages"] = h.backlog_messages;
            c["backlog_bytes"] = h.backlog_bytes;
            c["spooled"] = h.spooled;
            c["replayed"] = h.replayed;
            c["dropped"] = h.dropped;
            c["acknowledged"] = h.sent;
            c["connects"] = h.connects;
        }
        list.push_back(std::move(c));
    }
    return list;
}

}  // namespace

std::string render_stats_json(const stats_view& v) {
    const bool rates = v.before && v.interval_seconds > 0;
    json j;
    j["running"] = v.running;
    j["uptime_seconds"] = v.uptime_seconds;
    j["interval_seconds"] = rates ? json(v.interval_seconds) : json(nullptr);
    json per_s = json::object();
    for (const auto& section : counter_sections()) {
        json s = json::object();
        json r = json::object();
        for (const auto& def : daemon_counters()) {
            if (def.section != section.key) continue;
            s[std::string(def.key)] = def.get(v.now);
            if (rates && !def.gauge)
                r[std::string(def.key)] = per_second(def.get(v.now), def.get(*v.before), v.interval_seconds);
        }
        j[std::string(section.key)] = std::move(s);
        if (rates) per_s[std::string(section.key)] = std::move(r);
    }
    j["rates_per_second"] = rates ? std::move(per_s) : json(nullptr);
    j["collectors"] = collectors_array(v);
    return j.dump(2) + "\n";
}

std::string render_collectors_json(const stats_view& v) {
    json j;
    j["collectors"] = collectors_array(v);
    return j.dump(2) + "\n";
}

}  // namespace ipfix::stats
