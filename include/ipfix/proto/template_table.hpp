// The templates of one stream by id: open addressing with linear probing in a power-of-two
// array. A data set costs one multiply and usually one probe to find its template, where
// std::unordered_map paid a division and a node hop on every set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "ipfix/proto/template_def.hpp"

namespace ipfix::proto {

// What decoding a data set reads of its template, copied beside it in the table: finding the
// template and cutting the set into records then touch one cache line, where reading these
// through `def` waited for a second line on every set. The definition itself is read by
// whoever takes the records, later.
struct data_set_plan {
    const template_def* def = nullptr;
    const field_loc* fixed_locs = nullptr;  // of a fixed-length template's fields
    uint64_t record_length_reciprocal = 0;
    uint32_t min_record_length = 0;
    bool variable = false;
    bool options = false;

    static data_set_plan of(const template_def* t) {
        if (t == nullptr) return {};
        return {t, t->fixed_locs.data(), t->record_length_reciprocal, t->min_record_length, t->variable, t->options};
    }
};

struct template_slot {
    template_slot() = default;
    template_slot(std::shared_ptr<const template_def> d, uint64_t seen_ms)
        : plan(data_set_plan::of(d.get())), def(std::move(d)), last_seen_ms(seen_ms) {}

    data_set_plan plan;  // of `def`; made with it
    std::shared_ptr<const template_def> def;
    uint64_t last_seen_ms = 0;
};

class template_table {
public:
    size_t size() const { return size_; }

    // The slot stored under `id`, or nullptr. Valid until the next insertion or erasure.
    template_slot* find(uint16_t id) {
        if (size_ == 0) return nullptr;
        for (size_t i = home(id);; i = (i + 1) & mask_) {
            entry& e = entries_[i];
            if (!e.used) return nullptr;
            if (e.id == id) return &e.slot;
        }
    }

    const template_slot* find(uint16_t id) const { return const_cast<template_table*>(this)->find(id); }

    // The slot under `id`, default-made if absent; second is true when it was made.
    std::pair<template_slot*, bool> try_emplace(uint16_t id) {
        if (template_slot* s = find(id)) return {s, false};
        if ((size_ + 1) * 4 > entries_.size() * 3) grow();
        size_t i = home(id);
        while (entries_[i].used) i = (i + 1) & mask_;
        entries_[i].used = true;
        entries_[i].id = id;
        entries_[i].slot = {};
        ++size_;
        return {&entries_[i].slot, true};
    }

    bool erase(uint16_t id) {
        if (size_ == 0) return false;
        for (size_t i = home(id);; i = (i + 1) & mask_) {
            if (!entries_[i].used) return false;
            if (entries_[i].id == id) {
                remove_at(i);
                return true;
            }
        }
    }

    // Removes every entry for which pred(id, slot) is true; returns how many.
    template <class Pred>
    size_t erase_if(Pred&& pred) {
        size_t n = 0;
        for (size_t i = 0; i < entries_.size();) {
            entry& e = entries_[i];
            // remove_at may shift a later entry into i: look at i again before moving on.
            if (e.used && pred(e.id, e.slot)) {
                remove_at(i);
                ++n;
            } else {
                ++i;
            }
        }
        return n;
    }

    template <class F>
    void for_each(F&& f) const {
        for (const entry& e : entries_) {
            if (e.used) f(e.id, e.slot);
        }
    }
    template <class F>
    void for_each(F&& f) {
        for (entry& e : entries_) {
            if (e.used) f(e.id, e.slot);
        }
    }

private:
    // One cache line each: the probe's id and the slot it finds are read together.
    struct alignas(64) entry {
        bool used = false;
        uint16_t id = 0;
        template_slot slot;
    };

    size_t home(uint16_t id) const { return (uint32_t{id} * 0x9E3779B1u >> 16) & mask_; }

    // Backward-shift deletion: later entries of the probe run move up so no tombstone is left
    // and lookups still stop at the first empty entry.
    void remove_at(size_t hole) {
        entries_[hole] = entry{};
        --size_;
        for (size_t i = (hole + 1) & mask_; entries_[i].used; i = (i + 1) & mask_) {
            const size_t h = home(entries_[i].id);
            // The entry may fill the hole when its home does not lie cyclically in (hole, i].
            const bool stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i);
            if (stays) continue;
            entries_[hole] = std::move(entries_[i]);
            entries_[i] = entry{};
            hole = i;
        }
    }

    void grow() {
        std::vector<entry> old = std::move(entries_);
        entries_.assign(old.empty() ? 16 : old.size() * 2, entry{});
        mask_ = entries_.size() - 1;
        for (entry& e : old) {
            if (!e.used) continue;
            size_t i = home(e.id);
            while (entries_[i].used) i = (i + 1) & mask_;
            entries_[i] = std::move(e);
        }
    }

    std::vector<entry> entries_;
    size_t mask_ = 0;
    size_t size_ = 0;
};

}  // namespace ipfix::proto
