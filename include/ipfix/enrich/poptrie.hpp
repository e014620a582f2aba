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

template <class Key, unsigned DirectBits>
class poptrie {
public:
    static constexpr unsigned bits = key_bits<Key>;
    static constexpr unsigned direct_bits = DirectBits;
    static constexpr unsigned stride = 6;
    static constexpr uint32_t max_value = 0x7fffffff;
    static_assert(DirectBits >= 1 && DirectBits < bits && DirectBits <= 24);

    // Every key maps to 0.
    poptrie();

    // Throws std::invalid_argument when the segments are not a partition (unsorted, not starting
    // at 0) or a value exceeds max_value.
    explicit poptrie(std::span<const segment<Key>> partition);

    uint32_t find(Key key) const noexcept {
        const uint32_t d = direct_[static_cast<size_t>(key >> (bits - DirectBits))];
        if (!(d & node_flag)) return d;
        const node* n = &nodes_[d & max_value];
        unsigned depth = DirectBits;
        for (;;) {
            const auto slot = static_cast<unsigned>(static_cast<Key>(key << depth) >> (bits - stride));
            const uint64_t upto = (uint64_t{2} << slot) - 1;  // slots 0..slot (all when slot is 63)
            if (!((n->vector >> slot) & 1))
                return leaves_[n->base0 + static_cast<unsigned>(__builtin_popcountll(n->leafvec & upto)) - 1];
            n = &nodes_[n->base1 + static_cast<unsigned>(__builtin_popcountll(n->vector & upto)) - 1];
            depth += stride;
        }
    }

    // find() for n keys, their walks interleaved level by level with prefetches, so that the
    // memory accesses of a burst overlap instead of waiting one after the other (a lookup is a
    // chain of dependent loads; a burst of them is not).
    void find_batch(const Key* keys, uint32_t* out, size_t n) const noexcept {
        constexpr size_t group = 16;
        for (size_t base = 0; base < n; base += group) {
            const size_t m = n - base < group ? n - base : group;
            const Key* k = keys + base;
            uint32_t* o = out + base;
            for (size_t i = 0; i < m; ++i) __builtin_prefetch(&direct_[static_cast<size_t>(k[i] >> (bits - DirectBits))]);
            const node* cur[group];
            const uint32_t* leaf[group];
            unsigned depth[group];
            uint32_t walking = 0, leaves = 0;
            for (size_t i = 0; i < m; ++i) {
                const uint32_t d = direct_[static_cast<size_t>(k[i] >> (bits - DirectBits))];
                if (!(d & node_flag)) {
                    o[i] = d;
                    continue;
                }
                cur[i] = &nodes_[d & max_value];
                depth[i] = DirectBits;
                __builtin_prefetch(cur[i]);
                walking |= 1u << i;
            }
            while (walking) {
                for (uint32_t w = walking; w; w &= w - 1) {
                    const auto i = static_cast<unsigned>(__builtin_ctz(w));
                    const node* nd = cur[i];
                    const auto slot = static_cast<unsigned>(static_cast<Key>(k[i] << depth[i]) >> (bits - stride));
                    const uint64_t upto = (uint64_t{2} << slot) - 1;
                    if ((nd->vector >> slot) & 1) {
                        cur[i] = &nodes_[nd->base1 + static_cast<unsigned>(__builtin_popcountll(nd->vector & upto)) - 1];
                        depth[i] += stride;
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

    size_t node_count() const noexcept { return nodes_.size(); }
    size_t leaf_count() const noexcept { return leaves_.size(); }
    size_t memory_bytes() const noexcept {
        return direct_.bytes() + nodes_.bytes() + leaves_.bytes();
    }

private:
    // A direct entry is a leaf value, or with this bit the index of a node. Leaf 0 is the zero
    // entry, so the parts of a large direct array that no segment maps are never written and
    // never take memory (address space with no data is most of IPv6).
    static constexpr uint32_t node_flag = 0x80000000u;

    struct node {
        uint64_t vector;   // slot leads to a child node
        uint64_t leafvec;  // a run of equal leaf values starts at this slot
        uint32_t base0;    // first leaf in leaves_
        uint32_t base1;    // first child in nodes_
    };

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

}  // namespace ipfix::enrich
