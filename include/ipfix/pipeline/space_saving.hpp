// Space-saving (Metwally, Agrawal, El Abbadi, 2005): the heaviest keys of a weighted stream in
// k counters and bounded memory. A listed key's `count` is an upper bound of its true weight and
// `count - error` a lower bound; every key heavier than total/k is listed. Each entry also sums a
// second weight (bytes beside records) from when it was last taken in.
//
//   space_saving<uint32_t, as_hash> s(256);
//   s.add(as_number, 1, record_bytes);        // per record; never allocates after construction
//   heavy_list<uint32_t> copy; s.copy_to(copy);   // a snapshot to merge with other workers'
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace ipfix::pipeline {

template <class Key>
struct heavy_entry {
    Key key{};
    uint64_t count = 0;  // upper bound of the key's weight
    uint64_t error = 0;  // count - error is a lower bound
    uint64_t other = 0;  // the second weight since the key was taken in
};

// A summary's entries (unordered) and what they leave out.
template <class Key>
struct heavy_list {
    std::vector<heavy_entry<Key>> entries;
    uint64_t floor = 0;  // any key not listed weighs at most this (0 when the summary was not full)
    uint64_t total = 0;  // the weight of everything added
};

template <class Key, class Hash>
class space_saving {
public:
    explicit space_saving(size_t k) : k_(k < 1 ? 1 : k) {
        entries_.reserve(k_);
        heap_.reserve(k_);
        pos_.reserve(k_);
        slots_.assign(std::bit_ceil(k_ * 2), 0);
        mask_ = slots_.size() - 1;
    }

    void add(const Key& key, uint64_t weight, uint64_t other) {
        total_ += weight;
        size_t s = home(key);
        for (uint32_t e = slots_[s]; e != 0; e = slots_[s]) {
            if (entries_[e - 1].key == key) {
                heavy_entry<Key>& x = entries_[e - 1];
                x.count += weight;
                x.other += other;
                sift_down(pos_[e - 1]);
                return;
            }
            s = (s + 1) & mask_;
        }
        if (entries_.size() < k_) {
            const auto i = static_cast<uint32_t>(entries_.size());
            entries_.push_back({key, weight, 0, other});
            slots_[s] = i + 1;
            pos_.push_back(static_cast<uint32_t>(heap_.size()));
            heap_.push_back(i);
            sift_up(heap_.size() - 1);
            return;
        }
        // The lightest entry gives its counter to the new key, which inherits its count as error.
        const uint32_t i = heap_[0];
        heavy_entry<Key>& x = entries_[i];
        erase_slot(x.key);
        x.key = key;
        x.error = x.count;
        x.count += weight;
        x.other = other;
        insert_slot(i);
        sift_down(0);
    }

    void clear() {
        entries_.clear();
        heap_.clear();
        pos_.clear();
        std::fill(slots_.begin(), slots_.end(), 0u);
        total_ = 0;
    }

    std::span<const heavy_entry<Key>> entries() const { return entries_; }
    size_t capacity() const { return k_; }
    uint64_t total() const { return total_; }
    uint64_t floor() const { return entries_.size() < k_ ? 0 : entries_[heap_[0]].count; }

    // Reuses `out`'s buffers: no allocation once they have grown to k.
    void copy_to(heavy_list<Key>& out) const {
        out.entries.assign(entries_.begin(), entries_.end());
        out.floor = floor();
        out.total = total_;
    }

private:
    size_t home(const Key& key) const { return Hash{}(key) & mask_; }

    void insert_slot(uint32_t i) {
        size_t s = home(entries_[i].key);
        while (slots_[s] != 0) s = (s + 1) & mask_;
        slots_[s] = i + 1;
    }

    // Linear probing with backward-shift deletion: no tombstones, probes stay short.
    void erase_slot(const Key& key) {
        size_t s = home(key);
        while (entries_[slots_[s] - 1].key != key) s = (s + 1) & mask_;
        size_t j = s;
        for (;;) {
            j = (j + 1) & mask_;
            if (slots_[j] == 0) break;
            const size_t h = home(entries_[slots_[j] - 1].key);
            // The entry at j may fill the hole at s unless its home lies cyclically in (s, j].
            const bool stays = s <= j ? (s < h && h <= j) : (s < h || h <= j);
            if (stays) continue;
            slots_[s] = slots_[j];
            s = j;
        }
        slots_[s] = 0;
    }

    uint64_t count_at(size_t p) const { return entries_[heap_[p]].count; }
    void swap_at(size_t a, size_t b) {
        std::swap(heap_[a], heap_[b]);
        pos_[heap_[a]] = static_cast<uint32_t>(a);
        pos_[heap_[b]] = static_cast<uint32_t>(b);
    }
    void sift_up(size_t p) {
        while (p > 0) {
            const size_t parent = (p - 1) / 2;
            if (count_at(parent) <= count_at(p)) return;
            swap_at(parent, p);
            p = parent;
        }
    }
    void sift_down(size_t p) {
        const size_t n = heap_.size();
        for (;;) {
            size_t c = 2 * p + 1;
            if (c >= n) return;
            if (c + 1 < n && count_at(c + 1) < count_at(c)) ++c;
            if (count_at(p) <= count_at(c)) return;
            swap_at(p, c);
            p = c;
        }
    }

    size_t k_;
    std::vector<heavy_entry<Key>> entries_;
    std::vector<uint32_t> heap_;   // entry indices, a min-heap by count
    std::vector<uint32_t> pos_;    // entry index -> place in heap_
    std::vector<uint32_t> slots_;  // open addressing: entry index + 1, 0 empty
    size_t mask_ = 0;
    uint64_t total_ = 0;
};

}  // namespace ipfix::pipeline
