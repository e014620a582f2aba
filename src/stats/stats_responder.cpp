#include "ipfix/stats/stats_responder.hpp"

#include <fmt/format.h>

#include "ipfix/stats/dashboard_page.hpp"
#include "ipfix/stats/renderers.hpp"

namespace ipfix::stats {
namespace {

constexpr std::string_view help_text =
    "commands:\n"
    "  stats       packets, records, rates, drops and errors by reason, per collector\n"
    "  collectors  counters per collector\n"
    "  exporters   counters per exporter (not available yet)\n"
    "  templates   templates per exporter stream (not available yet)\n"
    "  as_stats    AS numbers by records and bytes (not available yet)\n"
    "  top         top talkers (not available yet)\n"
    "  help        this list\n"
    "  quit        close the connection\n"
    "HTTP on the same port: GET /metrics, /api/v1/stats, /api/v1/collectors, /healthz\n";

constexpr std::string_view index_text =
    "ipfix-enricher stats port\n"
    "  /metrics            Prometheus text format\n"
    "  /api/v1/stats       counters and rates (JSON)\n"
    "  /api/v1/collectors  counters per collector (JSON)\n"
    "  /healthz            ok while the pipeline forwards\n"
    "The same port speaks a line protocol: connect with telnet and type help.\n";

std::string not_available(std::string_view what, std::string_view why) {
    return fmt::format("{}: not available yet ({})\n", what, why);
}

http_response json_error(int status, std::string_view message) {
    return {status, "application/json", fmt::format("{{\"error\": \"{}\"}}\n", message), {}};
}

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
    switch (c.kind) {
        case command_kind::stats: return render_stats_table(view(clock::now()));
        case command_kind::collectors: return render_collectors_table(view(clock::now()));
        case command_kind::help: return std::string(help_text);
        case command_kind::exporters:
            return not_available("exporters", "the pipeline does not keep counters per exporter");
        case command_kind::templates:
            return not_available("templates", "the template caches live on the workers and are not published");
        case command_kind::as_stats: return not_available("as_stats", "no AS frequency counting in the pipeline");
        case command_kind::top: return not_available("top", "no top-talker counting in the pipeline");
        case command_kind::empty:
        case command_kind::quit:
        case command_kind::unknown: break;
    }
    return "error: unexpected command\n";
}

http_response stats_responder::answer_request(const http_request& r) {
    const std::string_view p = r.path;
    if (p == "/metrics") {
        return {200, "text/plain; version=0.0.4; charset=utf-8", render_prometheus(view(clock::now())), {}};
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
    if (p == "/api/v1/exporters" || p == "/api/v1/templates" || p == "/api/v1/as") {
        return json_error(501, "not available yet");
    }
    if (p == "/") return {200, "text/html; charset=utf-8", std::string(dashboard_page()), {}};
    if (p == "/api/v1") return {200, "text/plain; charset=utf-8", std::string(index_text), {}};
    return {404, "text/plain; charset=utf-8", "not found\n", {}};
}

}  // namespace ipfix::stats
