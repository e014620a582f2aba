#include "status_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "views.hpp"

namespace ipfix::tools {
namespace {

uint64_t section_sum(const daemon_stats& s, std::string_view section) {
    uint64_t sum = 0;
    if (const counter_section* sec = s.section(section)) {
        for (const auto& c : sec->counters) sum += c.value;
    }
    return sum;
}

uint64_t grown(uint64_t now, uint64_t before) { return now > before ? now - before : 0; }

void worse(status_report& r, health h, std::string why) {
    if (static_cast<int>(h) > static_cast<int>(r.verdict)) r.verdict = h;
    r.reasons.push_back(std::move(why));
}

}  // namespace

std::string_view health_name(health h) {
    switch (h) {
        case health::healthy: return "healthy";
        case health::degraded: return "degraded";
        case health::down: return "down";
    }
    return "down";
}

status_report evaluate(status_inputs in) {
    status_report r;
    const service_state& svc = in.service;
    if (svc.systemd && svc.active_state != "active" && svc.active_state != "reloading") {
        worse(r, health::down, fmt::format("service {} is {} ({})", svc.unit, svc.active_state, svc.sub_state));
    }
    if (!in.unreachable.empty()) {
        worse(r, health::down, fmt::format("stats port {} unreachable: {}", in.stats_port, in.unreachable));
    }
    if (in.second) {
        const daemon_stats& now = *in.second;
        if (!now.running) worse(r, health::down, "the pipeline is not running");
        r.drops = section_sum(now, "drops");
        r.errors = section_sum(now, "malformed");
        for (const auto& c : now.collectors) {
            r.collectors.push_back({c.name, c.state.empty() ? "-" : c.state, c.get("messages_in"),
                                    c.get("messages_out"), c.get("records_out")});
        }
        if (in.first && in.sample_seconds > 0) {
            const daemon_stats& was = *in.first;
            const double dt = in.sample_seconds;
            auto per_s = [&](std::string_view section, std::string_view key) {
                return static_cast<double>(grown(now.get(section, key), was.get(section, key))) / dt;
            };
            r.datagrams_per_second = per_s("traffic", "received_datagrams");
            r.records_per_second = per_s("decode", "records");
            r.bytes_in_per_second = per_s("traffic", "received_bytes");
            r.bytes_out_per_second = per_s("traffic", "sent_bytes");
            r.drops_in_sample = grown(r.drops, section_sum(was, "drops"));
            r.errors_in_sample = grown(r.errors, section_sum(was, "malformed"));
            for (auto& h : r.collectors) {
                if (h.state != "-") continue;  // the daemon said
                for (const auto& old : was.collectors) {
                    if (old.name != h.collector) continue;
                    const bool fed = h.messages_in > old.get("messages_in");
                    const bool sent = h.messages_out > old.get("messages_out");
                    h.state = fed && !sent ? "stalled" : fed ? "ok" : "idle";
                }
            }
        }
        if (r.drops_in_sample > 0) worse(r, health::degraded, fmt::format("{} datagrams dropped in the sample", r.drops_in_sample));
        if (r.errors_in_sample > 0) {
            worse(r, health::degraded, fmt::format("{} malformed inputs in the sample", r.errors_in_sample));
        }
        for (const auto& h : r.collectors) {
            if (h.state == "stalled" || h.state == "down" || h.state == "failed") {
                worse(r, health::degraded, fmt::format("collector {} is {}", h.collector, h.state));
            }
        }
    }
    r.in = std::move(in);
    return r;
}

std::string render_status_text(const status_report& r) {
    const status_inputs& in = r.in;
    std::string out = fmt::format("ipfix-enricher: {}\n", health_name(r.verdict));
    for (const auto& why : r.reasons) out += fmt::format("  - {}\n", why);
    const service_state& s = in.service;
    if (s.systemd) {
        out += fmt::format("service     {} {} ({}), started {}\n", s.unit, s.active_state, s.sub_state,
                           s.started.empty() ? "-" : s.started);
    } else {
        out += fmt::format("service     not under systemd ({})\n", s.note);
    }
    if (!in.unreachable.empty() || !in.second) {
        out += fmt::format("stats port  {} unreachable: {}\n", in.stats_port, in.unreachable);
    } else {
        out += fmt::format("stats port  {}, pipeline {}\n", in.stats_port, in.second->running ? "running" : "STOPPED");
        out += fmt::format("uptime      {}\n", format_duration(in.second->uptime_seconds));
        if (in.first && in.sample_seconds > 0) {
            out += fmt::format("rates       {:.1f} datagrams/s, {:.1f} records/s, {:.1f} bytes in/s, {:.1f} bytes out/s "
                               "(over {:.1f} s)\n",
                               r.datagrams_per_second, r.records_per_second, r.bytes_in_per_second,
                               r.bytes_out_per_second, in.sample_seconds);
        }
        out += fmt::format("drops       {} total, {} in the sample\n", r.drops, r.drops_in_sample);
        out += fmt::format("malformed   {} total, {} in the sample\n", r.errors, r.errors_in_sample);
        if (r.collectors.empty()) out += "collectors  none\n";
        for (const auto& c : r.collectors) {
            out += fmt::format("collector   {} {} (messages in {}, out {}, records out {})\n", c.collector, c.state,
                               c.messages_in, c.messages_out, c.records_out);
        }
    }
    if (in.recent_errors_source.empty()) {
        out += "recent errors: not looked at (no journal; --log FILE)\n";
    } else if (in.recent_errors.empty()) {
        out += fmt::format("recent errors ({}): none\n", in.recent_errors_source);
    } else {
        out += fmt::format("recent errors ({}):\n", in.recent_errors_source);
        for (const auto& line : in.recent_errors) out += fmt::format("  {}\n", line);
    }
    return out;
}

std::string render_status_json(const status_report& r) {
    using json = nlohmann::ordered_json;
    const status_inputs& in = r.in;
    json j;
    j["status"] = health_name(r.verdict);
    j["exit_status"] = static_cast<int>(r.verdict);
    j["reasons"] = r.reasons;
    json svc;
    svc["systemd"] = in.service.systemd;
    svc["unit"] = in.service.unit;
    if (in.service.systemd) {
        svc["load_state"] = in.service.load_state;
        svc["active_state"] = in.service.active_state;
        svc["sub_state"] = in.service.sub_state;
        svc["started"] = in.service.started;
    } else {
        svc["note"] = in.service.note;
    }
    j["service"] = svc;
    j["stats_port"] = in.stats_port;
    j["reachable"] = in.unreachable.empty() && in.second.has_value();
    if (!in.unreachable.empty()) j["unreachable"] = in.unreachable;
    if (in.second) {
        j["running"] = in.second->running;
        j["uptime_seconds"] = in.second->uptime_seconds;
        j["sample_seconds"] = in.sample_seconds;
        j["rates_per_second"] = {{"datagrams", r.datagrams_per_second},
                                 {"records", r.records_per_second},
                                 {"bytes_in", r.bytes_in_per_second},
                                 {"bytes_out", r.bytes_out_per_second}};
        j["drops"] = {{"total", r.drops}, {"in_sample", r.drops_in_sample}};
        j["malformed"] = {{"total", r.errors}, {"in_sample", r.errors_in_sample}};
        json cs = json::array();
        for (const auto& c : r.collectors) {
            cs.push_back({{"collector", c.collector},
                          {"state", c.state},
                          {"messages_in", c.messages_in},
                          {"messages_out", c.messages_out},
                          {"records_out", c.records_out}});
        }
        j["collectors"] = cs;
    }
    j["recent_errors_source"] = in.recent_errors_source;
    j["recent_errors"] = in.recent_errors;
    return j.dump(2) + "\n";
}

}  // namespace ipfix::tools
