// An immutable longest-prefix-match table: a poptrie (Asai & Ohara, SIGCOMM 2015). The IPv6 table
// of prefix_table; IPv4 uses dir24_8.hpp (measured faster there, see that header).
// Built once from a partition of the key space (sorted segments, each carrying a 31-bit value);
// find(key) returns the value of the segment holding key.
//
// Layout: the top DirectBits of the key index a flat array ("direct pointing"); below that,
// nodes of 64 slots (6 key bits) each hold two bitmaps instead of 64 pointers: `vector` marks the
// slots that lead to a child node, `leafvec` the slots where a new run of equal values starts.
// A popcount of the bits up to the slot gives the child's or the leaf's rank among its siblings,
// which are stored contiguously from base1 (nodes) and base0 (leaves). That keeps the table a few
// MiB for a full Internet table, so most lookups hit the cache: 1 load when the direct entry is a
// leaf, otherwise 1 load per 6 bits below DirectBits, plus the leaf.
// GroupLog > 0 widens a node to 2^GroupLog such 64-slot records side by side (stride 6 + GroupLog
// bits), the first GroupLog bits of a stride picking the record: a lookup still reads one 24-byte
// record per level, but there are fewer levels. IPv6 uses 24 direct bits and 8-bit strides, so
// that levels end on /32, /40, /48, /56 and /64, where most IPv6 prefixes end (lookup_bench).
//
//   std::vector<segment<uint32_t>> p = {{0, 0}, {0x0a000000, 7}, {0x0b000000, 0}};
//   poptrie<uint32_t, 18> t(p);
//   t.find(0x0a010203);  // 7
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ipfix/enrich/huge_array.hpp"
#include "ipfix/enrich/ip_key.hpp"

namespace ipfix::enrich {

// [start, next segment's start) maps to value. A partition starts at key 0 and is strictly sorted.
template <class Key>
struct segment {
    Key start;
    uint32_t value;
    friend bool operator==(const segment&, const segment&) = default;
};

template <class Key, unsigned DirectBits, unsigned GroupLog = 0>
class poptrie {
public:
    static constexpr unsigned bits = key_bits<Key>;
    static constexpr unsigned direct_bits = DirectBits;
    static constexpr unsigned group_log = GroupLog;
    static constexpr unsigned stride = 6 + GroupLog;
    static constexpr uint32_t max_value = 0x7fffffff;
    static_assert(DirectBits >= 1 && DirectBits < bits && DirectBits <= 24);
    static_assert(GroupLog <= 3);  // the builder keeps a node's 2^(6+GroupLog) slots on its stack

    // Every key maps to 0.
    poptrie();

    // Throws std::invalid_argument when the segments are not a partition (unsorted, not starting
    // at 0) or a value exceeds max_value.
    explicit poptrie(std::span<const segment<Key>> partition);

    uint32_t find(Key key) const noexcept {
        const uint32_t d = direct_[static_cast<size_t>(key >> (bits - DirectBits))];
        if (!(d & node_flag)) return d;
        unsigned depth = DirectBits, slot;
        const node* n = record(group(d & max_value), key, depth, slot);
        for (;;) {
            const uint64_t upto = (uint64_t{2} << slot) - 1;  // slots 0..slot (all when slot is 63)
            if (!((n->vector >> slot) & 1))
                return leaves_[n->base0 + static_cast<unsigned>(__builtin_popcountll(n->leafvec & upto)) - 1];
            depth += stride;
            n = record(group(n->base1 + static_cast<unsigned>(__builtin_popcountll(n->vector & upto)) - 1), key, depth,
                       slot);
        }
    }

    // Starts loading the direct entry find(key) reads first.
    void prefetch(Key key) const noexcept {
        __builtin_prefetch(&direct_[static_cast<size_t>(key >> (bits - DirectBits))]);
    }

    // find() for n keys, their walks interleaved level by level with prefetches, so that the
    // memory accesses of a burst overlap instead of waiting one after the other (a lookup is a
    // chain of dependent loads; a burst of them is not).
    void find_batch(const Key* keys, uint32_t* out, size_t n) const noexcept {
        constexpr size_t batch = 16;
        for (size_t base = 0; base < n; base += batch) {
            const size_t m = n - base < batch ? n - base : batch;
            const Key* k = keys + base;
            uint32_t* o = out + base;
            for (size_t i = 0; i < m; ++i) __builtin_prefetch(&direct_[static_cast<size_t>(k[i] >> (bits - DirectBits))]);
            const node* cur[batch];
            unsigned slot[batch];
            const uint32_t* leaf[batch];
            unsigned depth[batch];
            uint32_t walking = 0, leaves = 0;
            for (size_t i = 0; i < m; ++i) {
                const uint32_t d = direct_[static_cast<size_t>(k[i] >> (bits - DirectBits))];
                if (!(d & node_flag)) {
                    o[i] = d;
                    continue;
                }
                depth[i] = DirectBits;
                cur[i] = record(group(d & max_value), k[i], depth[i], slot[i]);
                __builtin_prefetch(cur[i]);
                walking |= 1u << i;
            }
            while (walking) {
                for (uint32_t w = walking; w; w &= w - 1) {
                    const auto i = static_cast<unsigned>(__builtin_ctz(w));
                    const node* nd = cur[i];
                    const uint64_t upto = (uint64_t{2} << slot[i]) - 1;
                    if ((nd->vector >> slot[i]) & 1) {
                        depth[i] += stride;
                        cur[i] = record(group(nd->base1 + static_cast<unsigned>(__builtin_popcountll(nd->vector & upto)) - 1),
                                        k[i], depth[i], slot[i]);
                        __builtin_prefetch(cur[i]);
                    } else {
                        leaf[i] = &leaves_[nd->base0 + static_cast<unsigned>(__builtin_popcountll(nd->leafvec & upto)) - 1];
                        __builtin_prefetch(leaf[i]);
                        walking &= ~(1u << i);
                        leaves |= 1u << i;
                    }
                }
            }
            for (; leaves; leaves &= leaves - 1) {
                const auto i = static_cast<unsigned>(__builtin_ctz(leaves));
                o[i] = *leaf[i];
            }
        }
    }

    size_t node_count() const noexcept { return nodes_.size() >> GroupLog; }
    size_t leaf_count() const noexcept { return leaves_.size(); }
    size_t memory_bytes() const noexcept {
        return direct_.bytes() + nodes_.bytes() + leaves_.bytes();
    }

private:
    // A direct entry is a leaf value, or with this bit the index of a node. Leaf 0 is the zero
    // entry, so the parts of a large direct array that no segment maps are never written and
    // never take memory (address space with no data is most of IPv6).
    static constexpr uint32_t node_flag = 0x80000000u;

    // One 64-slot record; a node is 2^GroupLog of them in a row, numbered as a group.
    struct node {
        uint64_t vector;   // slot leads to a child node
        uint64_t leafvec;  // a run of equal leaf values starts at this slot
        uint32_t base0;    // first leaf in leaves_
        uint32_t base1;    // first child's group number
    };

    const node* group(uint32_t index) const noexcept { return &nodes_[size_t{index} << GroupLog]; }

    // The record of group g that key's stride at depth falls in, and the slot in it. Past the last
    // full stride the stride holds the key's remaining bits followed by zeros.
    static const node* record(const node* g, Key key, unsigned depth, unsigned& slot) noexcept {
        const auto s = static_cast<unsigned>(static_cast<Key>(key << depth) >> (bits - stride));
        slot = s & 63;
        return g + (s >> 6);
    }

    class builder;

    // On huge pages (huge_array.hpp); nodes and leaves are built in vectors and copied there.
    huge_array<uint32_t> direct_;
    huge_array<node> nodes_;
    huge_array<uint32_t> leaves_;
};

extern template class poptrie<uint32_t, 16>;
extern template class poptrie<uint32_t, 18>;
extern template class poptrie<uint32_t, 20>;
extern template class poptrie<uint32_t, 24>;
extern template class poptrie<u128, 16>;
extern template class poptrie<u128, 20>;
extern template class poptrie<u128, 24>;
extern template class poptrie<u128, 20, 2>;
extern template class poptrie<u128, 24, 2>;

}  // namespace ipfix::enrich
