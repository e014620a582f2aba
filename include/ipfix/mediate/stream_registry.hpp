// How each exporter stream appears at the collectors, shared by every worker's mediators: the
// observation domain it is given there (unique among the streams sent from our own address,
// whichever worker sends them) and, per collector, the sequence number of its next message. The
// store keeps it across restarts, so collectors see the same domains and no sequence reset.
//
// Workers take an entry the first time one of their mediators meets a stream (a mutex, once per
// stream and mediator) and then publish sequence numbers with relaxed atomic stores; the control
// thread reads published entries without the lock. Entries live as long as the registry.
//
//   mediate::stream_registry r(collectors, 65536);
//   r.restore(stream, domain, sequences, last_ms);          // before the workers run
//   mediator.share_state(&r, collector_index);              // each mediator
//   for (size_t i = 0; i < r.size(); ++i) persist(r.at(i)); // control thread
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "ipfix/proto/stream_key.hpp"

namespace ipfix::mediate {

class stream_registry {
public:
    struct entry {
        proto::stream_key stream;
        uint32_t domain = 0;                    // at collectors that get the stream from our address
        std::atomic<uint64_t> last_ms{0};       // when a mediator last sent for it
        std::atomic<uint32_t>* sequences = nullptr;  // one per collector: the next message's number
    };

    stream_registry(size_t collectors, size_t capacity);
    stream_registry(const stream_registry&) = delete;
    stream_registry& operator=(const stream_registry&) = delete;

    // Puts back a stream's state from an earlier run (`sequences` by collector index, shorter
    // is fine). Before any acquire. False when the stream or its domain is already taken, or the
    // registry is full.
    bool restore(const proto::stream_key& stream, uint32_t domain, std::span<const uint32_t> sequences, uint64_t last_ms);

    // The stream's entry; a new one gets the stream's own domain when no other stream holds it,
    // else the next free one. Null when the registry is full (counted): the caller keeps its
    // own state.
    entry* acquire(const proto::stream_key& stream);

    // Control thread: entries [0, size()) are complete and may be read without the lock.
    size_t size() const { return published_.load(std::memory_order_acquire); }
    const entry& at(size_t i) const { return entries_[i]; }
    size_t collectors() const { return collectors_; }
    uint64_t full() const { return full_.load(std::memory_order_relaxed); }

private:
    entry* add(const proto::stream_key& stream, uint32_t domain);  // under mutex_

    size_t collectors_;
    size_t capacity_;
    std::unique_ptr<entry[]> entries_;
    std::unique_ptr<std::atomic<uint32_t>[]> sequences_;
    std::atomic<size_t> published_{0};
    std::atomic<uint64_t> full_{0};
    std::mutex mutex_;
    std::unordered_map<proto::stream_key, size_t, proto::stream_key_hash> index_;
    std::unordered_set<uint32_t> domains_;
};

}  // namespace ipfix::mediate
