#include "ipfix/mediate/stream_registry.hpp"

namespace ipfix::mediate {

stream_registry::stream_registry(size_t collectors, size_t capacity)
    : collectors_(collectors),
      capacity_(capacity),
      entries_(std::make_unique<entry[]>(capacity)),
      sequences_(std::make_unique<std::atomic<uint32_t>[]>(capacity * collectors)) {
    for (size_t i = 0; i < capacity_; ++i) entries_[i].sequences = sequences_.get() + i * collectors_;
    for (size_t i = 0; i < capacity_ * collectors_; ++i) sequences_[i].store(0, std::memory_order_relaxed);
}

stream_registry::entry* stream_registry::add(const proto::stream_key& stream, uint32_t domain) {
    const size_t i = published_.load(std::memory_order_relaxed);
    if (i == capacity_) {
        full_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    entry& e = entries_[i];
    e.stream = stream;
    e.domain = domain;
    index_.emplace(stream, i);
    domains_.insert(domain);
    published_.store(i + 1, std::memory_order_release);
    return &e;
}

bool stream_registry::restore(const proto::stream_key& stream, uint32_t domain, std::span<const uint32_t> sequences,
                              uint64_t last_ms) {
    std::lock_guard lock(mutex_);
    if (index_.count(stream) || domains_.count(domain)) return false;
    entry* e = add(stream, domain);
    if (e == nullptr) return false;
    for (size_t c = 0; c < collectors_ && c < sequences.size(); ++c) {
        e->sequences[c].store(sequences[c], std::memory_order_relaxed);
    }
    e->last_ms.store(last_ms, std::memory_order_relaxed);
    return true;
}

stream_registry::entry* stream_registry::acquire(const proto::stream_key& stream) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(stream); it != index_.end()) return &entries_[it->second];
    uint32_t domain = stream.domain;
    while (domains_.count(domain)) ++domain;
    return add(stream, domain);
}

}  // namespace ipfix::mediate
