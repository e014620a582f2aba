// A bounded single-producer / single-consumer ring of values: one thread pushes, one other
// thread pops, neither locks nor allocates after construction. A full ring refuses the push
// (the caller counts the drop). Slots are moved in and out, so values may own resources.
//
//   spsc_ring<int> r(1024);       // capacity rounded up to a power of two
//   r.push(7);                    // producer thread
//   int v; while (r.pop(v)) use(v);  // consumer thread
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <utility>

namespace ipfix::pipeline {

template <class T>
class spsc_ring {
public:
    explicit spsc_ring(size_t capacity)
        : capacity_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity)),
          mask_(capacity_ - 1),
          slots_(std::make_unique<T[]>(capacity_)) {}
    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;

    size_t capacity() const { return capacity_; }

    // Producer only. False when full (`v` is left as it was).
    bool push(T&& v) {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail - head_seen_ == capacity_) {
            head_seen_ = head_.load(std::memory_order_acquire);
            if (tail - head_seen_ == capacity_) return false;
        }
        slots_[tail & mask_] = std::move(v);
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    // Consumer only. False when empty. The slot is left moved-from (empty for owning types), so
    // the producer never frees what the consumer took.
    bool pop(T& out) {
        const size_t head = head_.load(std::memory_order_relaxed);
        if (head == tail_seen_) {
            tail_seen_ = tail_.load(std::memory_order_acquire);
            if (head == tail_seen_) return false;
        }
        out = std::move(slots_[head & mask_]);
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

private:
    const size_t capacity_;
    const size_t mask_;
    std::unique_ptr<T[]> slots_;
    // Each side's index on its own cache line, with its cached view of the other side's.
    alignas(64) std::atomic<size_t> tail_{0};
    size_t head_seen_ = 0;  // producer's last look at head_
    alignas(64) std::atomic<size_t> head_{0};
    size_t tail_seen_ = 0;  // consumer's last look at tail_
};

}  // namespace ipfix::pipeline
