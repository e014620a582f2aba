// The tail stream's fan-out: the daemon's control thread hands it each batch of enriched
// records (take, under a mutex, never on the workers), and it keeps for each tail client the
// lines its filter selects, bounded: a client that does not read loses records, counted, and is
// told so ({"dropped":N}), while the others go on. The stats thread subscribes clients and
// takes their lines when their sockets have room; the hub's eventfd wakes it when lines wait.
//
//   tail_hub hub({.max_clients = 16});
//   feed.add({[&] { return hub.wants(); }, [&](auto batch) { hub.take(batch); }});  // control
//   auto sub = hub.subscribe(filter);  sub->take(out);                             // stats
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ipfix/pipeline/flow_summary.hpp"
#include "ipfix/stats/session.hpp"
#include "ipfix/stats/tail_filter.hpp"

namespace ipfix::stats {

struct tail_hub_options {
    size_t max_clients = 16;
    size_t buffer_bytes = 1 << 20;  // lines kept per client before its records are dropped
};

class tail_hub;

// One client's stream: its filter and the lines waiting for it. Unsubscribes when destroyed.
class tail_subscription : public response_stream {
public:
    ~tail_subscription() override;
    tail_subscription(const tail_subscription&) = delete;
    tail_subscription& operator=(const tail_subscription&) = delete;

    // Moves the waiting lines to `out`, a {"dropped":N} line first when records were dropped
    // since the last take. False when nothing was waiting.
    bool take(std::string& out) override;
    // Lines that go before everything live (the retention store's history).
    void prepend(std::string_view lines);
    uint64_t dropped() const;  // in all, for this client

private:
    friend class tail_hub;
    tail_subscription(tail_hub& hub, tail_filter filter) : hub_(hub), filter_(std::move(filter)) {}

    tail_hub& hub_;
    const tail_filter filter_;
    // Guarded by hub_.mutex_.
    std::string pending_;
    uint64_t unreported_drops_ = 0;
    uint64_t drops_ = 0;
};

class tail_hub {
public:
    explicit tail_hub(tail_hub_options options = {});
    ~tail_hub();
    tail_hub(const tail_hub&) = delete;
    tail_hub& operator=(const tail_hub&) = delete;

    // Control thread. Whether any client listens (the record taps stay off otherwise).
    bool wants() const { return clients_.load(std::memory_order_relaxed) > 0; }
    // Control thread: gives each client the records its filter selects.
    void take(std::span<const pipeline::flow_summary> batch);

    // Stats thread. Null when max_clients are subscribed.
    std::unique_ptr<tail_subscription> subscribe(tail_filter filter);
    bool full() const { return clients_.load(std::memory_order_relaxed) >= options_.max_clients; }
    size_t max_clients() const { return options_.max_clients; }
    // Readable when lines wait; clear_wake() after reading them.
    int wake_fd() const { return wake_fd_; }
    void clear_wake();

private:
    friend class tail_subscription;

    tail_hub_options options_;
    int wake_fd_ = -1;
    std::atomic<size_t> clients_{0};
    std::mutex mutex_;
    std::vector<tail_subscription*> subscriptions_;  // guarded by mutex_
};

}  // namespace ipfix::stats
