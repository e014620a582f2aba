#include "ipfix/stats/tail_endpoint.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipfix/stats/tail_hub.hpp"
#include "ipfix/stats/tail_json.hpp"

namespace ipfix::stats {
namespace {

http_response error(int status, std::string_view message) {
    return {status, "application/json", nlohmann::json{{"error", message}}.dump() + "\n"};
}

}  // namespace

http_response answer_tail(std::string_view query, tail_hub* hub, const tail_history& history, uint64_t now_ms) {
    tail_query q = parse_tail_query(query);
    if (!q.filter) return error(400, q.error);
    if (q.filter->since_seconds && !history) {
        return error(400, "since= needs the retention store, and this daemon keeps none (store.retention is off)");
    }
    if (hub == nullptr) return error(503, "the tail is not available");
    const tail_filter filter = *q.filter;
    auto sub = hub->subscribe(filter);
    if (!sub) return error(503, fmt::format("too many tail clients (limit {})", hub->max_clients()));

    if (filter.since_seconds) {
        // Live records from now on are already kept for this client; history stops before now,
        // so a record is not sent twice (one still in the taps may be missing from both).
        const uint64_t from_ms = now_ms - std::min(now_ms, *filter.since_seconds * 1000);
        std::string lines;
        bool truncated = false;
        history(
            from_ms, [&](const pipeline::flow_summary& s) { return s.seen_ms < now_ms && filter.matches(s); },
            [&](const pipeline::flow_summary& s) {
                if (lines.size() >= max_tail_history_bytes) {
                    truncated = true;
                    return false;
                }
                append_tail_json(s, lines);
                return true;
            });
        if (truncated) lines += "{\"history_truncated\":true}\n";
        sub->prepend(lines);
    }
    http_response r{200, "application/x-ndjson", {}};
    r.stream = std::move(sub);
    return r;
}

}  // namespace ipfix::stats
