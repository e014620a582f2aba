// Keeps the template store in step with the workers, from the control thread: at start the
// stored templates go into every worker's decoder (with the kernel's REUSEPORT hash any worker
// may see an exporter) and each worker gets a change queue; every tick drains the queues into
// the store, expires, and writes one batch. Workers never wait for it.
//
//   auto sync = store::template_sync::open(config, log);  // null when the store is off or refused
//   pipe.on_worker_ready([&](size_t i, pipeline::flow_worker& w) { sync->attach(i, w); });
//   every second: sync->tick(log);   after stopping the pipeline: sync->tick(log) once more
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix/pipeline/live_pipeline.hpp"
#include "ipfix/pipeline/template_changes.hpp"
#include "ipfix/store/template_store.hpp"

namespace ipfix::store {

struct sync_counters {
    uint64_t installed = 0;       // stored templates put into workers' decoders
    uint64_t changes = 0;         // changes taken from the queues
    uint64_t queue_drops = 0;     // changes lost at full queues (summed over workers)
};

class template_sync {
public:
    // Opens the store the configuration names and loads it. Null, with the reason in `log`,
    // when the store is off or cannot be used (the daemon then forwards without it).
    static std::unique_ptr<template_sync> open(const config::daemon_config& config, uint64_t now_ms, std::ostream& log);
    static std::unique_ptr<template_sync> open(const config::daemon_config& config, std::ostream& log) {
        return open(config, wall_clock_ms(), log);
    }

    template_sync(std::unique_ptr<template_store> store, size_t workers, uint64_t lifetime_ms, uint64_t now_ms);

    // Installs the loaded templates into worker `index`'s decoder and attaches its queue.
    // Before the worker runs. Returns how many templates went in.
    size_t attach(size_t index, pipeline::flow_worker& w);

    // Drains the queues, expires, commits. Logs a write failure once, and the recovery (while
    // failing with nothing to write, it probes the store each tick).
    void tick(uint64_t now_ms, std::ostream& log);
    void tick(std::ostream& log) { tick(wall_clock_ms(), log); }

    // The clock the workers' decoders run on (wall time, so stored times mean the same after a restart).
    static uint64_t wall_clock_ms();

    template_store& store() { return *store_; }
    size_t loaded() const { return loaded_.size(); }
    const sync_counters& counters() const { return counters_; }
    bool failing() const { return failing_; }
    // The store's write errors and failing state as of the last tick, for the stats port (any thread).
    void report(pipeline::store_stats& out) const;
    pipeline::template_change_queue& queue(size_t index) { return *queues_[index]; }

private:
    void apply(pipeline::template_change& c);

    std::unique_ptr<template_store> store_;
    uint64_t lifetime_ms_;
    std::vector<std::unique_ptr<pipeline::template_change_queue>> queues_;
    struct loaded_template {
        proto::stream_key stream;
        std::shared_ptr<const proto::template_def> def;
        uint64_t last_seen_ms;
    };
    std::vector<loaded_template> loaded_;
    sync_counters counters_;
    bool failing_ = false;
    std::atomic<uint64_t> write_errors_shown_{0};
    std::atomic<bool> failing_shown_{false};
};

}  // namespace ipfix::store
