#include "ipfix/stats/stats_responder.hpp"

#include <fmt/format.h>

#include "ipfix/stats/dashboard_page.hpp"
#include "ipfix/stats/renderers.hpp"
#include "ipfix/stats/traffic_answers.hpp"
#include "ipfix/stats/traffic_renderers.hpp"

namespace ipfix::stats {
namespace {

constexpr std::string_view help_text =
    "commands:\n"
    "  stats       packets, records, rates, drops and errors by reason, per collector and exporter\n"
    "  collectors  counters per collector\n"
    "  exporters   counters per exporter\n"
    "  templates   templates per exporter stream\n"
    "  as_stats    top source and destination AS numbers by records, with bytes: as_stats [N]\n"
    "  top         top talkers (source addresses) by bytes: top [N]\n"
    "  reset       zero the exporters, templates, top AS and talkers: reset TOKEN\n"
    "  help        this list\n"
    "  quit        close the connection\n"
    "HTTP on the same port: GET /metrics, /api/v1/stats, /api/v1/collectors, /api/v1/exporters,\n"
    "  /api/v1/templates, /api/v1/as?n=N, /api/v1/top?n=N, /healthz; POST /api/v1/reset (token)\n";

constexpr std::string_view index_text =
    "ipfix-enricher stats port\n"
    "  /metrics            Prometheus text format\n"
    "  /api/v1/stats       counters and rates (JSON)\n"
    "  /api/v1/collectors  counters per collector (JSON)\n"
    "  /api/v1/exporters   counters per exporter (JSON)\n"
    "  /api/v1/templates   templates per exporter stream (JSON)\n"
    "  /api/v1/as?n=10     top source and destination AS by records (JSON)\n"
    "  /api/v1/top?n=10    top talkers by bytes (JSON)\n"
    "  POST /api/v1/reset  zero those (Authorization: Bearer TOKEN)\n"
    "  /api/v1/tail        enriched records as JSON lines, live (exporter=, address=, prefix=,\n"
    "                      as=, port=, protocol=, since=SECONDS; ipfix-tail follows it)\n"
    "  /healthz            ok while the pipeline forwards\n"
    "The same port speaks a line protocol: connect with telnet and type help.\n";

}  // namespace

stats_responder::stats_responder(stats_source source, clock::duration rate_interval)
    : source_(std::move(source)), interval_(rate_interval), started_(clock::now()) {}

void stats_responder::tick(clock::time_point now) {
    if (last_ && now - last_->at < interval_) return;
    previous_ = std::move(last_);
    last_ = sample{now, source_.snapshot()};
}

stats_responder::clock::duration stats_responder::until_next_tick(clock::time_point now) const {
    if (!last_) return clock::duration::zero();
    const auto due = last_->at + interval_;
    return due > now ? due - now : clock::duration::zero();
}

stats_view stats_responder::view(clock::time_point now) const {
    stats_view v;
    v.now = source_.snapshot();
    v.running = source_.running ? source_.running() : true;
    v.collectors = source_.collectors;
    v.uptime_seconds = std::chrono::duration<double>(now - started_).count();
    // A sample of a moment ago gives noisy rates: then the one before it covers a full interval.
    const sample* ref = nullptr;
    if (last_ && now - last_->at >= std::chrono::seconds(1)) ref = &*last_;
    else if (previous_) ref = &*previous_;
    if (ref != nullptr) {
        v.before = ref->stats;
        v.interval_seconds = std::chrono::duration<double>(now - ref->at).count();
    }
    return v;
}

std::string stats_responder::answer_command(const command& c) {
    if (auto a = answer_traffic_command(c, source_.traffic)) return std::move(*a);
    switch (c.kind) {
        case command_kind::stats: {
            // The issue's `stats` is per exporter too: the exporters table follows, as `exporters` gives it.
            std::string out = render_stats_table(view(clock::now()));
            if (source_.traffic.read) {
                out += '\n';
                out += render_exporters_table(source_.traffic.read());
            }
            return out;
        }
        case command_kind::collectors: return render_collectors_table(view(clock::now()));
        case command_kind::help: return std::string(help_text);
        case command_kind::exporters:
        case command_kind::templates:
        case command_kind::as_stats:
        case command_kind::top:
        case command_kind::reset:
        case command_kind::empty:
        case command_kind::quit:
        case command_kind::unknown: break;
    }
    return "error: unexpected command\n";
}

http_response stats_responder::answer_request(const http_request& r) {
    if (auto a = answer_traffic_request(r, source_.traffic)) return std::move(*a);
    const std::string_view p = r.path;
    if (p == "/metrics") {
        return {200, "text/plain; version=0.0.4; charset=utf-8",
                render_prometheus(view(clock::now())) + traffic_metrics(source_.traffic), {}};
    }
    if (p == "/api/v1/stats") return {200, "application/json", render_stats_json(view(clock::now())), {}};
    if (p == "/api/v1/collectors") return {200, "application/json", render_collectors_json(view(clock::now())), {}};
    if (p == "/healthz") {
        const bool up = source_.running ? source_.running() : true;
        return up ? http_response{200, "text/plain; charset=utf-8", "ok\n", {}}
                  : http_response{503, "text/plain; charset=utf-8", "pipeline not running\n", {}};
    }
    if (p == "/api/v1/tail") {
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        return answer_tail(r.query, tail_, history_, static_cast<uint64_t>(now_ms.count()));
    }
    if (p == "/") return {200, "text/html; charset=utf-8", std::string(dashboard_page()), {}};
    if (p == "/api/v1") return {200, "text/plain; charset=utf-8", std::string(index_text), {}};
    return {404, "text/plain; charset=utf-8", "not found\n", {}};
}

}  // namespace ipfix::stats
