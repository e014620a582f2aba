#include "ipfix/log/leveled_log.hpp"
#include "ipfix/store/template_sync.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace ipfix::store {
namespace {

// How often a worker passes on a refresh of one template: often enough that the stored
// last-seen time stays well inside the lifetime, rarely enough for exporters that re-send
// their templates in every datagram.
uint64_t refresh_interval_ms(uint64_t lifetime_ms) {
    return std::clamp<uint64_t>(lifetime_ms / 4, 1000, 60'000);
}

}  // namespace

uint64_t template_sync::wall_clock_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::unique_ptr<template_sync> template_sync::open(const config::daemon_config& config, uint64_t now_ms,
                                                   std::ostream& log) {
    if (!config.store.enabled) return nullptr;
    std::unique_ptr<template_store> s;
    try {
        s = template_store::open(config.store.path);
    } catch (const store_error& e) {
        log << log::warning << "ipfix-enricher: " << e.what() << "; forwarding without it (templates will not survive a restart)\n";
        return nullptr;
    }
    const uint64_t lifetime_ms = uint64_t{config.templates.lifetime_seconds} * 1000;
    auto sync = std::make_unique<template_sync>(std::move(s), config.performance.workers, lifetime_ms, now_ms);
    const store_counters& c = sync->store().counters();
    log << "ipfix-enricher: template store " << config.store.path << ": " << sync->loaded() << " templates loaded, "
        << c.expired << " expired";
    if (c.corrupt_skipped != 0) log << ", " << c.corrupt_skipped << " unreadable entries skipped";
    log << "\n";
    return sync;
}

template_sync::template_sync(std::unique_ptr<template_store> store, size_t workers, uint64_t lifetime_ms,
                             uint64_t now_ms)
    : store_(std::move(store)), lifetime_ms_(lifetime_ms) {
    for (size_t i = 0; i < workers; ++i) {
        queues_.push_back(std::make_unique<pipeline::template_change_queue>(1024, refresh_interval_ms(lifetime_ms)));
    }
    for (stored_template& t : store_->load(now_ms, lifetime_ms)) {
        if (auto def = to_def(t)) loaded_.push_back({t.stream, std::move(def), t.last_seen_ms});
    }
    std::string error;
    // Removes the expired ones. Should that fail they stay on disk, unused, until the next load.
    store_->commit(error);
}

size_t template_sync::attach(size_t index, pipeline::flow_worker& w) {
    size_t n = 0;
    for (const loaded_template& t : loaded_) n += w.decoder().templates().install(t.stream, t.def, t.last_seen_ms);
    counters_.installed += n;
    // The tap decodes the worker's datagrams again: without the templates it would skip what
    // the worker now decodes at once.
    if (w.tap() != nullptr) {
        proto::template_cache& tapped = w.tap()->decoder().templates();
        for (const loaded_template& t : loaded_) tapped.install(t.stream, t.def, t.last_seen_ms);
    }
    if (index < queues_.size()) w.report_template_changes(queues_[index].get());
    return n;
}

void template_sync::apply(pipeline::template_change& c) {
    switch (c.kind) {
    case pipeline::template_change_kind::defined:
        if (c.def != nullptr) store_->put(c.stream, *c.def, c.time_ms);
        break;
    case pipeline::template_change_kind::withdrawn:
        store_->remove(c.stream, c.id);
        break;
    case pipeline::template_change_kind::withdrawn_all:
        store_->remove_all(c.stream, c.options);
        break;
    }
}

void template_sync::tick(uint64_t now_ms, std::ostream& log) {
    uint64_t drops = 0;
    for (auto& q : queues_) {
        // Bounded: at most one queue's capacity per tick each, so a flood cannot hold this thread.
        pipeline::template_change c;
        for (size_t i = 0; i < 4096 && q->pop(c); ++i) {
            apply(c);
            c.def.reset();
            ++counters_.changes;
        }
        drops += q->dropped();
    }
    counters_.queue_drops = drops;
    store_->expire(now_ms, lifetime_ms_);
    const bool writing = store_->pending();
    std::string error;
    bool ok = store_->commit(error);
    // Nothing to write (templates are refreshed seldom): ask the store itself.
    if (ok && failing_ && !writing) ok = store_->probe(error);
    if (!ok) {
        if (!failing_) log << log::error << "ipfix-enricher: " << error << "; forwarding goes on, the store catches up when it can\n";
        failing_ = true;
    } else if (failing_) {
        log << "ipfix-enricher: template store " << store_->path() << ": writing again\n";
        failing_ = false;
    }
    write_errors_shown_.store(store_->counters().write_errors, std::memory_order_relaxed);
    failing_shown_.store(failing_, std::memory_order_relaxed);
}

void template_sync::report(pipeline::store_stats& out) const {
    out.template_write_errors = write_errors_shown_.load(std::memory_order_relaxed);
    out.failing |= failing_shown_.load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace ipfix::store
