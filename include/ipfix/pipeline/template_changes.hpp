// What a worker tells the control thread about its templates, so the store can persist them:
// learnt (or redefined) and refreshed templates with the definition, withdrawals. One queue per
// worker (single producer: the worker; single consumer: the control thread); a full queue drops
// the change, counted, and the store catches up when the exporter re-sends its templates.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "ipfix/pipeline/spsc_ring.hpp"
#include "ipfix/proto/stream_key.hpp"
#include "ipfix/proto/template_def.hpp"

namespace ipfix::pipeline {

enum class template_change_kind : uint8_t {
    defined,        // learnt, redefined or refreshed: `def` is the live definition
    withdrawn,      // template `id` of the stream
    withdrawn_all,  // every data (or, with `options`, options) template of the stream
};

struct template_change {
    template_change_kind kind = template_change_kind::defined;
    bool options = false;
    uint16_t id = 0;
    proto::stream_key stream;
    uint64_t time_ms = 0;  // when the exporter sent it (the decoder's clock: wall time)
    std::shared_ptr<const proto::template_def> def;
};

class template_change_queue {
public:
    // A refresh of the same template is passed on at most once per `refresh_interval_ms`: an
    // exporter may re-send its templates in every datagram.
    explicit template_change_queue(size_t capacity = 1024, uint64_t refresh_interval_ms = 60'000)
        : ring_(capacity), refresh_interval_ms_(refresh_interval_ms) {}

    // Worker side.
    void push(template_change&& c) {
        if (!ring_.push(std::move(c))) dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    // True when a refresh of `id` in `stream` at `now_ms` should be passed on; remembers it.
    // A direct-mapped memo: a collision only passes on a refresh more than needed.
    bool refresh_due(const proto::stream_key& stream, uint16_t id, uint64_t now_ms) {
        const uint64_t tag = tag_of(stream, id);
        memo_entry& e = memo_[slot_of(tag)];
        if (e.tag == tag && now_ms >= e.passed_ms && now_ms - e.passed_ms < refresh_interval_ms_) return false;
        e = {tag, now_ms};
        return true;
    }
    // A learnt template was passed on at `now_ms`: its refreshes wait an interval from there.
    void defined(const proto::stream_key& stream, uint16_t id, uint64_t now_ms) {
        const uint64_t tag = tag_of(stream, id);
        memo_[slot_of(tag)] = {tag, now_ms};
    }

    // Control-thread side.
    bool pop(template_change& out) { return ring_.pop(out); }
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
    static constexpr unsigned memo_bits = 10;
    // Never 0, so an unused entry matches nothing.
    static uint64_t tag_of(const proto::stream_key& stream, uint16_t id) {
        return (uint64_t{proto::stream_key_hash{}(stream)} << 17) ^ (uint64_t{id} << 1) ^ 1;
    }
    static size_t slot_of(uint64_t tag) { return (tag * 0x9E3779B97F4A7C15ull) >> (64 - memo_bits); }
    struct memo_entry {
        uint64_t tag = 0;
        uint64_t passed_ms = 0;
    };
    spsc_ring<template_change> ring_;
    uint64_t refresh_interval_ms_;
    std::array<memo_entry, size_t{1} << memo_bits> memo_{};
    std::atomic<uint64_t> dropped_{0};
};

}  // namespace ipfix::pipeline
