// How enriched records leave a worker for the operator (the tail stream) and the retention
// store: one tap per worker, a bounded ring the worker pushes into and one consumer thread
// (the daemon's control thread) drains. Off unless someone listens, so a worker pays one
// relaxed load per datagram for it; a full ring is a counted drop, never a wait.
//
//   tap.listen(true);                          // consumer: retention on, or a tail client
//   if (tap.listening()) tap.push(summary);    // worker
//   tap.drain([](const flow_summary& s) {...}); // consumer
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "ipfix/pipeline/flow_summary.hpp"
#include "ipfix/pipeline/spsc_ring.hpp"

namespace ipfix::pipeline {

class record_tap {
public:
    explicit record_tap(size_t capacity) : ring_(capacity) {}

    void listen(bool on) { listening_.store(on, std::memory_order_relaxed); }
    bool listening() const { return listening_.load(std::memory_order_relaxed); }

    // Worker only.
    void push(const flow_summary& s) {
        flow_summary copy = s;
        if (!ring_.push(std::move(copy))) {
            // One writer: a plain add, published with a relaxed store (no locked instruction).
            drops_.store(drops_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        }
    }

    // Consumer only. Calls f(const flow_summary&) for each record waiting; returns how many.
    template <class F>
    size_t drain(F&& f) {
        size_t n = 0;
        flow_summary s;
        while (ring_.pop(s)) {
            f(s);
            ++n;
        }
        return n;
    }

    uint64_t drops() const { return drops_.load(std::memory_order_relaxed); }

private:
    spsc_ring<flow_summary> ring_;
    std::atomic<bool> listening_{false};
    std::atomic<uint64_t> drops_{0};
};

// The consumer side over every worker's tap: who wants records, and handing each batch to them.
// Used from one thread (the control thread).
class record_feed {
public:
    struct consumer {
        std::function<bool()> wants;  // asked at every poll: listening costs the workers a copy
        std::function<void(std::span<const flow_summary>)> take;
    };

    void add(consumer c) { consumers_.push_back(std::move(c)); }

    // Turns the taps on while any consumer wants records, drains them and gives the batch to
    // each consumer that wants it. Returns how many records were drained.
    size_t poll(std::span<record_tap* const> taps);

    // Records dropped at full taps, over all workers.
    static uint64_t drops(std::span<record_tap* const> taps);

private:
    std::vector<consumer> consumers_;
    std::vector<flow_summary> batch_;
    std::vector<bool> wanting_;
};

}  // namespace ipfix::pipeline
