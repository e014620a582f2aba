// The stats port's content: telnet commands and HTTP paths answered from the daemon's counters
// (a snapshot callback), with rates over the last sampling interval, and the traffic tallies
// (traffic_answers.hpp). Nothing here changes the daemon's state but `reset`, which needs the
// configured token. Used from the stats server's thread only.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ipfix/stats/session.hpp"
#include "ipfix/stats/stats_view.hpp"
#include "ipfix/stats/tail_endpoint.hpp"
#include "ipfix/stats/traffic_source.hpp"

namespace ipfix::stats {

// What the daemon gives the stats port.
struct stats_source {
    std::function<pipeline::live_stats()> snapshot;  // summed counters; called on the stats thread
    std::function<bool()> running;                   // the pipeline is forwarding
    std::vector<std::string> collectors;             // "host:port", in the pipeline's collector order
    traffic_source traffic;                          // exporters, templates, top-N, reset (with the token)
};

class stats_responder : public responder {
public:
    using clock = std::chrono::steady_clock;

    // Rates are taken over the last `rate_interval` (samples from tick()).
    stats_responder(stats_source source, clock::duration rate_interval);

    // Takes a sample when the interval has passed since the last one (the first call always).
    void tick(clock::time_point now);
    // How long until tick() wants to run again.
    clock::duration until_next_tick(clock::time_point now) const;

    // GET /api/v1/tail subscribes to `hub` (null: 503); `history` serves since= (null: 400).
    void serve_tail(tail_hub* hub, tail_history history) {
        tail_ = hub;
        history_ = std::move(history);
    }

    std::string answer_command(const command& c) override;
    http_response answer_request(const http_request& r) override;
    bool takes_post(std::string_view path) const override { return path == "/api/v1/reset"; }
    // Exporters, templates, top-N and reset from `t` (replacing the source's). Before serving.
    void serve_traffic(traffic_source t) { source_.traffic = std::move(t); }

    // The view at `now`: current counters, the newest sample at least a second old as `before`.
    stats_view view(clock::time_point now) const;

private:
    struct sample {
        clock::time_point at;
        pipeline::live_stats stats;
    };

    stats_source source_;
    clock::duration interval_;
    clock::time_point started_;
    std::optional<sample> last_;      // the newest sample
    std::optional<sample> previous_;  // the one before it
    tail_hub* tail_ = nullptr;
    tail_history history_;
};

}  // namespace ipfix::stats
