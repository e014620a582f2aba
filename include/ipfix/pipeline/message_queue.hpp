// A worker's hand-over of output messages to a collector's sender thread (TCP collectors): a
// bounded single-producer / single-consumer queue of byte buffers that go back to the worker
// once used, so a warm queue never allocates. A full queue refuses the message (counted): the
// worker never waits.
//
//   pipeline::message_queue q(4096);
//   q.push(bytes);                                  // worker lcore
//   std::vector<uint8_t> m; while (q.pop(m)) { use(m); q.recycle(std::move(m)); }   // sender
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "ipfix/pipeline/spsc_ring.hpp"

namespace ipfix::pipeline {

class message_queue {
public:
    explicit message_queue(size_t capacity) : full_(capacity), free_(capacity) {}

    // Worker side. False when full (counted in drops()).
    bool push(std::span<const uint8_t> message) {
        std::vector<uint8_t> b;
        free_.pop(b);
        b.assign(message.begin(), message.end());
        if (full_.push(std::move(b))) return true;
        drops_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }

    // Sender side.
    bool pop(std::vector<uint8_t>& out) { return full_.pop(out); }
    void recycle(std::vector<uint8_t>&& b) {
        b.clear();
        free_.push(std::move(b));
    }

    uint64_t drops() const { return drops_.load(std::memory_order_relaxed); }

private:
    spsc_ring<std::vector<uint8_t>> full_;  // worker -> sender
    spsc_ring<std::vector<uint8_t>> free_;  // sender -> worker: emptied buffers
    std::atomic<uint64_t> drops_{0};
};

}  // namespace ipfix::pipeline
