#include "ipfix/proto/template_cache.hpp"

#include <algorithm>
#include <cstring>

namespace ipfix::proto {

template_cache::template_cache(template_cache_config config) : config_(config) {
    config_.max_streams = std::max<size_t>(config_.max_streams, 1);
    config_.max_templates = std::max<size_t>(config_.max_templates, 1);
}

stream_state& template_cache::stream(const stream_key& key, uint64_t now_ms, decode_counters& counters) {
    auto it = streams_.find(key);
    if (it == streams_.end()) {
        if (streams_.size() >= config_.max_streams) evict_stream(counters);
        lru_.push_front(key);
        it = streams_.emplace(key, stream_state{}).first;
        it->second.key = key;
        it->second.lru = lru_.begin();
    } else if (it->second.lru != lru_.begin()) {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    it->second.last_seen_ms = now_ms;
    ++it->second.messages;
    return it->second;
}

void template_cache::retire(template_slot& slot) {
    retired_.push_back(std::move(slot.def));
}

void template_cache::evict_stream(decode_counters& counters) {
    const stream_key victim = lru_.back();
    auto it = streams_.find(victim);
    for (auto& [id, slot] : it->second.templates) retire(slot);
    template_count_ -= it->second.templates.size();
    counters.templates_evicted += it->second.templates.size();
    streams_.erase(it);
    lru_.pop_back();
    ++counters.streams_evicted;
}

void template_cache::evict_template(const stream_state& keep_stream, uint16_t keep_id, decode_counters& counters) {
    // From the least recently used stream that has any, its least recently sent template.
    for (auto key = lru_.rbegin(); key != lru_.rend(); ++key) {
        stream_state& s = streams_.find(*key)->second;
        auto victim = s.templates.end();
        for (auto t = s.templates.begin(); t != s.templates.end(); ++t) {
            if (&s == &keep_stream && t->first == keep_id) continue;
            if (victim == s.templates.end() || t->second.last_seen_ms < victim->second.last_seen_ms) victim = t;
        }
        if (victim == s.templates.end()) continue;
        retire(victim->second);
        s.templates.erase(victim);
        --template_count_;
        ++counters.templates_evicted;
        return;
    }
}

const template_def* template_cache::find(stream_state& s, uint16_t id, uint64_t now_ms, decode_counters& counters) {
    auto it = s.templates.find(id);
    if (it == s.templates.end()) return nullptr;
    if (now_ms > it->second.last_seen_ms && now_ms - it->second.last_seen_ms > config_.lifetime_ms) {
        retire(it->second);
        s.templates.erase(it);
        --template_count_;
        ++counters.templates_expired;
        return nullptr;
    }
    return it->second.def.get();
}

const template_def* template_cache::refresh(stream_state& s, uint16_t id, std::span<const uint8_t> wire,
                                            uint64_t now_ms, decode_counters& counters) {
    auto it = s.templates.find(id);
    if (it == s.templates.end()) return nullptr;
    const std::vector<uint8_t>& stored = it->second.def->wire;
    if (stored.size() != wire.size() || std::memcmp(stored.data(), wire.data(), wire.size()) != 0) return nullptr;
    it->second.last_seen_ms = now_ms;
    ++counters.templates_refreshed;
    return it->second.def.get();
}

learn_result template_cache::learn(stream_state& s, std::shared_ptr<const template_def> def, uint64_t now_ms,
                                   decode_counters& counters) {
    const uint16_t id = def->id;
    auto [it, inserted] = s.templates.try_emplace(id);
    if (!inserted) {
        retire(it->second);
        it->second = template_slot{std::move(def), now_ms};
        ++counters.templates_redefined;
        return learn_result::redefined;
    }
    it->second = template_slot{std::move(def), now_ms};
    ++template_count_;
    ++counters.templates_learned;
    if (template_count_ > config_.max_templates) evict_template(s, id, counters);
    return learn_result::learned;
}

bool template_cache::withdraw(stream_state& s, uint16_t id, decode_counters& counters) {
    auto it = s.templates.find(id);
    if (it == s.templates.end()) return false;
    retire(it->second);
    s.templates.erase(it);
    --template_count_;
    ++counters.templates_withdrawn;
    return true;
}

size_t template_cache::withdraw_all(stream_state& s, bool options, decode_counters& counters) {
    size_t n = 0;
    for (auto it = s.templates.begin(); it != s.templates.end();) {
        if (it->second.def->options == options) {
            retire(it->second);
            it = s.templates.erase(it);
            ++n;
        } else {
            ++it;
        }
    }
    template_count_ -= n;
    counters.templates_withdrawn += n;
    return n;
}

size_t template_cache::expire(uint64_t now_ms, decode_counters& counters) {
    size_t n = 0;
    for (auto& [key, s] : streams_) {
        for (auto it = s.templates.begin(); it != s.templates.end();) {
            if (now_ms > it->second.last_seen_ms && now_ms - it->second.last_seen_ms > config_.lifetime_ms) {
                retire(it->second);
                it = s.templates.erase(it);
                ++n;
            } else {
                ++it;
            }
        }
    }
    template_count_ -= n;
    counters.templates_expired += n;
    return n;
}

}  // namespace ipfix::proto
