// Templates and sequence state per stream (exporter address, port, version, domain), with
// explicit time: templates expire `lifetime_ms` after they were last sent, and the number of
// streams and templates is bounded (least recently used stream evicted first, counted).
// Replaced, withdrawn or evicted templates stay alive until release_retired(), so record views
// made before the change remain valid for the rest of the message.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "ipfix/proto/decode_counters.hpp"
#include "ipfix/proto/stream_key.hpp"
#include "ipfix/proto/template_def.hpp"
#include "ipfix/proto/template_table.hpp"

namespace ipfix::proto {

struct template_cache_config {
    uint64_t lifetime_ms = 30 * 60 * 1000;  // RFC 7011 §8.4 leaves it to the collector
    size_t max_streams = 16384;
    size_t max_templates = 262144;
};

// Per-stream export sequence tracking. IPFIX counts data records, v9 export packets, v5 flows.
struct sequence_state {
    bool valid = false;   // `next` holds an expectation
    uint32_t next = 0;
    uint64_t gaps = 0;
    uint64_t lost = 0;
    uint64_t reordered = 0;
};

struct stream_state {
    stream_key key;
    template_table templates;
    sequence_state sequence;
    uint64_t last_seen_ms = 0;
    uint64_t messages = 0;
    // Recency order, linked through the streams themselves: moving a stream to the front touches
    // its neighbours and no list node of its own (a std::list node was one more cache miss
    // and a call on every message).
    stream_state* newer = nullptr;
    stream_state* older = nullptr;
};

enum class learn_result : uint8_t { learned, refreshed, redefined };

class template_cache {
public:
    explicit template_cache(template_cache_config config = {});
    // Not copyable: the memo points into this cache's own map.
    template_cache(const template_cache&) = delete;
    template_cache& operator=(const template_cache&) = delete;
    template_cache(template_cache&&) = default;
    template_cache& operator=(template_cache&&) = default;

    // The state of the stream (exporter, domain, version), created if new; marks it most recently
    // used, evicting the least recently used stream when over the bound. Inline, with the map
    // out of line: nearly every message finds its stream in the memo.
    stream_state& stream(const exporter_endpoint& exporter, uint32_t domain, protocol_version version,
                         uint64_t now_ms, decode_counters& counters) {
        stream_state*& memo = memo_[stream_key_hash::of(exporter, domain, version) & (memo_.size() - 1)];
        stream_state* s = memo;
        if (s == nullptr || !(s->key.exporter == exporter && s->key.domain == domain && s->key.version == version))
            [[unlikely]] {
            s = &find_or_add(exporter, domain, version, counters);
            memo = s;
        }
        if (s != newest_) {
            unlink(*s);
            link_newest(*s);
        }
        s->last_seen_ms = now_ms;
        ++s->messages;
        return *s;
    }
    stream_state& stream(const stream_key& key, uint64_t now_ms, decode_counters& counters) {
        return stream(key.exporter, key.domain, key.version, now_ms, counters);
    }

    // The live template, or nullptr when unknown or expired (an expired one is removed).
    // Inline: it runs once per data set, and the call cost as much as the probe.
    const template_def* find(stream_state& s, uint16_t id, uint64_t now_ms, decode_counters& counters) {
        const data_set_plan* p = find_plan(s, id, now_ms, counters);
        return p != nullptr ? p->def : nullptr;
    }
    // The same, as what decoding a data set needs (valid until the stream's templates change).
    const data_set_plan* find_plan(stream_state& s, uint16_t id, uint64_t now_ms, decode_counters& counters) {
        template_slot* slot = s.templates.find(id);
        if (slot == nullptr) return nullptr;
        if (expired(*slot, now_ms)) {
            remove_expired(s, id, counters);
            return nullptr;
        }
        return &slot->plan;
    }

    // Refreshes the template when `wire` is byte-identical to what is stored under `id`
    // (no allocation on this, the common path); returns it, else nullptr.
    const template_def* refresh(stream_state& s, uint16_t id, std::span<const uint8_t> wire,
                                uint64_t now_ms, decode_counters& counters);

    // Stores a new or changed definition; evicts when over the template bound.
    learn_result learn(stream_state& s, std::shared_ptr<const template_def> def, uint64_t now_ms,
                       decode_counters& counters);

    bool withdraw(stream_state& s, uint16_t id, decode_counters& counters);
    // IPFIX "withdraw all" (RFC 7011 §8.1): all data templates, or all options templates.
    size_t withdraw_all(stream_state& s, bool options, decode_counters& counters);

    // Puts a template learnt earlier (a persisted one, at start) under its id in `key`'s stream
    // with the time it was last sent, only when that id holds none. False when one is there or
    // the stream or template bound is reached (nothing is evicted for it).
    bool install(const stream_key& key, std::shared_ptr<const template_def> def, uint64_t last_seen_ms);

    // Shared ownership of the live template `id` of stream `key` (nullptr when absent), for
    // handing a definition to another thread; no LRU or time change.
    std::shared_ptr<const template_def> share(const stream_key& key, uint16_t id) const;

    // Removes every template not sent for `lifetime_ms`; returns how many.
    size_t expire(uint64_t now_ms, decode_counters& counters);

    // Frees the definitions replaced since the last call; record views into them die here.
    void release_retired() { retired_.clear(); }

    size_t stream_count() const { return streams_.size(); }
    size_t template_count() const { return template_count_; }
    const template_cache_config& config() const { return config_; }

    template <class F>
    void for_each_stream(F&& f) const {
        for (const auto& [key, state] : streams_) f(state);
    }

private:
    // Inline: stream() moves a stream to the front on nearly every message.
    void link_newest(stream_state& s) {
        s.newer = nullptr;
        s.older = newest_;
        (newest_ != nullptr ? newest_->newer : oldest_) = &s;
        newest_ = &s;
    }
    void link_oldest(stream_state& s) {
        s.older = nullptr;
        s.newer = oldest_;
        (oldest_ != nullptr ? oldest_->older : newest_) = &s;
        oldest_ = &s;
    }
    void unlink(stream_state& s) {
        (s.newer != nullptr ? s.newer->older : newest_) = s.older;
        (s.older != nullptr ? s.older->newer : oldest_) = s.newer;
        s.newer = s.older = nullptr;
    }
    stream_state& find_or_add(const exporter_endpoint& exporter, uint32_t domain, protocol_version version,
                              decode_counters& counters);
    void evict_stream(decode_counters& counters);
    void evict_template(const stream_state& keep_stream, uint16_t keep_id, decode_counters& counters);
    void retire(template_slot& slot);
    bool expired(const template_slot& slot, uint64_t now_ms) const {
        return now_ms > slot.last_seen_ms && now_ms - slot.last_seen_ms > config_.lifetime_ms;
    }
    void remove_expired(stream_state& s, uint16_t id, decode_counters& counters);

    template_cache_config config_;
    std::unordered_map<stream_key, stream_state, stream_key_hash> streams_;
    stream_state* newest_ = nullptr;  // the ends of the recency order
    stream_state* oldest_ = nullptr;
    // Recently used streams by key hash: most messages skip the map's modulo and chain walk.
    // Map nodes do not move on rehash; an evicted stream is cleared from here. 1024 slots: with
    // 64, the decode benchmark's 40 streams sent a fifth of their messages to the map, with 256
    // one in fifteen (streams sharing a slot take it from each other).
    std::array<stream_state*, 1024> memo_{};
    size_t template_count_ = 0;
    std::vector<std::shared_ptr<const template_def>> retired_;
};

}  // namespace ipfix::proto
