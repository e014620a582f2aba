#include "ipfix/enrich/poptrie.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace ipfix::enrich {

// Walks the key space top-down: a block (slot) that one segment covers entirely becomes a leaf,
// any other block becomes a node whose 64 slots are examined in turn. The segment cursor only
// moves forward, so a level costs O(slots + segments inside it).
template <class Key, unsigned D, unsigned G>
class poptrie<Key, D, G>::builder {
public:
    builder(poptrie& t, std::span<const segment<Key>> p) : t_(t), p_(p) {}

    void run() {
        constexpr unsigned span_log = bits - D;
        t_.direct_ = huge_array<uint32_t>(size_t{1} << D);
        size_t s = 0;
        for (size_t i = 0; i < t_.direct_.size(); ++i) {
            const Key lo = static_cast<Key>(Key(i) << span_log);
            const Key hi = static_cast<Key>(lo + ((Key{1} << span_log) - 1));
            s = seek(s, lo);
            if (covers(s, hi)) {
                if (p_[s].value) t_.direct_[i] = p_[s].value;
            } else {
                const uint32_t index = new_groups(1);
                t_.direct_[i] = node_flag | index;
                build_node(index, lo, D, s);
            }
        }
        t_.nodes_ = huge_array<node>(std::span<const node>(nodes_));
        t_.leaves_ = huge_array<uint32_t>(std::span<const uint32_t>(leaves_));
    }

private:
    // The segment holding key, searching forward from segment `from` (which starts at or before key).
    size_t seek(size_t from, Key key) const {
        while (from + 1 < p_.size() && p_[from + 1].start <= key) ++from;
        return from;
    }

    // Whether segment i, which holds the block's first key, also holds its last key `hi`.
    bool covers(size_t i, Key hi) const { return i + 1 == p_.size() || p_[i + 1].start > hi; }

    // n groups of 2^G records, numbered from the returned one.
    uint32_t new_groups(size_t n) {
        const size_t first = nodes_.size() >> G;
        if (first + n > max_value) throw std::length_error("poptrie: too many nodes");
        nodes_.resize((first + n) << G);
        return static_cast<uint32_t>(first);
    }

    void build_node(uint32_t index, Key lo, unsigned depth, size_t s) {
        // Below the last full stride the slot index holds the remaining key bits followed by zeros
        // (see find()); slots with non-zero low bits are unreachable and left as "same leaf as before".
        constexpr unsigned slots = 1u << stride;
        const bool last = depth + stride > bits;
        const unsigned extra = last ? depth + stride - bits : 0;
        const unsigned span_log = last ? 0 : bits - depth - stride;

        node recs[size_t{1} << G]{};
        Key child_lo[slots];
        size_t child_seg[slots];
        unsigned children = 0;

        for (unsigned k = 0; k < slots; ++k) {
            node& r = recs[k >> 6];
            const unsigned bit = k & 63;
            if (bit == 0) {
                // A record's leaves and children are ranked within the record: its runs start afresh.
                r.base0 = static_cast<uint32_t>(leaves_.size());
                r.base1 = children;
            }
            if (last && (k & ((1u << extra) - 1)) != 0) continue;
            const Key slot_lo = last ? static_cast<Key>(lo + Key(k >> extra))
                                     : static_cast<Key>(lo + (Key(k) << span_log));
            const Key slot_hi = static_cast<Key>(slot_lo + ((Key{1} << span_log) - 1));
            s = seek(s, slot_lo);
            if (covers(s, slot_hi)) {
                const uint32_t v = p_[s].value;
                if (leaves_.size() == r.base0 || leaves_.back() != v) {
                    if (leaves_.size() >= UINT32_MAX) throw std::length_error("poptrie: too many leaves");
                    r.leafvec |= uint64_t{1} << bit;
                    leaves_.push_back(v);
                }
            } else {
                r.vector |= uint64_t{1} << bit;
                child_lo[children] = slot_lo;
                child_seg[children] = s;
                ++children;
            }
        }

        const uint32_t first = children ? new_groups(children) : 0;
        for (node& r : recs) r.base1 += first;
        std::copy(std::begin(recs), std::end(recs), nodes_.begin() + (ptrdiff_t{index} << G));
        for (unsigned j = 0; j < children; ++j) build_node(first + j, child_lo[j], depth + stride, child_seg[j]);
    }

    poptrie& t_;
    std::span<const segment<Key>> p_;
    std::vector<node> nodes_;
    std::vector<uint32_t> leaves_;
};

template <class Key, unsigned D, unsigned G>
poptrie<Key, D, G>::poptrie() : direct_(size_t{1} << D) {}

template <class Key, unsigned D, unsigned G>
poptrie<Key, D, G>::poptrie(std::span<const segment<Key>> partition) {
    if (partition.empty()) {
        *this = poptrie();
        return;
    }
    if (partition.front().start != 0) throw std::invalid_argument("poptrie: partition does not start at 0");
    for (size_t i = 0; i < partition.size(); ++i) {
        if (partition[i].value > max_value) throw std::invalid_argument("poptrie: value out of range");
        if (i && !(partition[i - 1].start < partition[i].start))
            throw std::invalid_argument("poptrie: partition not strictly sorted");
    }
    builder(*this, partition).run();
}

template class poptrie<uint32_t, 16>;
template class poptrie<uint32_t, 18>;
template class poptrie<uint32_t, 20>;
template class poptrie<uint32_t, 24>;
template class poptrie<u128, 16>;
template class poptrie<u128, 20>;
template class poptrie<u128, 24>;
template class poptrie<u128, 20, 2>;
template class poptrie<u128, 24, 2>;

}  // namespace ipfix::enrich
