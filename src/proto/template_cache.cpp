#include "ipfix/proto/template_cache.hpp"

#include <algorithm>
#include <cstring>

namespace ipfix::proto {

template_cache::template_cache(template_cache_config config) : config_(config) {
    config_.max_streams = std::max<size_t>(config_.max_streams, 1);
    config_.max_templates = std::max<size_t>(config_.max_templates, 1);
}

stream_state& template_cache::find_or_add(const exporter_endpoint& exporter, uint32_t domain,
                                          protocol_version version, decode_counters& counters) {
    const stream_key key{exporter, domain, version};
    auto it = streams_.find(key);
    if (it == streams_.end()) {
        if (streams_.size() >= config_.max_streams) evict_stream(counters);
        it = streams_.emplace(key, stream_state{}).first;
        it->second.key = key;
        link_newest(it->second);
    }
    return it->second;
}

void template_cache::retire(template_slot& slot) {
    retired_.push_back(std::move(slot.def));
}

void template_cache::evict_stream(decode_counters& counters) {
    auto it = streams_.find(oldest_->key);
    // A stream is memoised only in its own key's slot: one slot to clear, not a pass over all.
    stream_state*& memo = memo_[stream_key_hash{}(it->first) & (memo_.size() - 1)];
    if (memo == &it->second) memo = nullptr;
    it->second.templates.for_each([&](uint16_t, template_slot& slot) { retire(slot); });
    template_count_ -= it->second.templates.size();
    counters.templates_evicted += it->second.templates.size();
    unlink(it->second);
    streams_.erase(it);
    ++counters.streams_evicted;
}

void template_cache::evict_template(const stream_state& keep_stream, uint16_t keep_id, decode_counters& counters) {
    // From the least recently used stream that has any, its least recently sent template.
    for (stream_state* older = oldest_; older != nullptr; older = older->newer) {
        stream_state& s = *older;
        bool found = false;
        uint16_t victim = 0;
        uint64_t oldest = 0;
        s.templates.for_each([&](uint16_t id, const template_slot& slot) {
            if (&s == &keep_stream && id == keep_id) return;
            if (!found || slot.last_seen_ms < oldest) {
                found = true;
                victim = id;
                oldest = slot.last_seen_ms;
            }
        });
        if (!found) continue;
        retire(*s.templates.find(victim));
        s.templates.erase(victim);
        --template_count_;
        ++counters.templates_evicted;
        return;
    }
}

void template_cache::remove_expired(stream_state& s, uint16_t id, decode_counters& counters) {
    retire(*s.templates.find(id));
    s.templates.erase(id);
    --template_count_;
    ++counters.templates_expired;
}

const template_def* template_cache::refresh(stream_state& s, uint16_t id, std::span<const uint8_t> wire,
                                            uint64_t now_ms, decode_counters& counters) {
    template_slot* slot = s.templates.find(id);
    if (slot == nullptr) return nullptr;
    const std::vector<uint8_t>& stored = slot->def->wire;
    if (stored.size() != wire.size() || std::memcmp(stored.data(), wire.data(), wire.size()) != 0) return nullptr;
    slot->last_seen_ms = now_ms;
    ++counters.templates_refreshed;
    return slot->def.get();
}

learn_result template_cache::learn(stream_state& s, std::shared_ptr<const template_def> def, uint64_t now_ms,
                                   decode_counters& counters) {
    const uint16_t id = def->id;
    auto [slot, inserted] = s.templates.try_emplace(id);
    if (!inserted) {
        retire(*slot);
        *slot = template_slot{std::move(def), now_ms};
        ++counters.templates_redefined;
        return learn_result::redefined;
    }
    *slot = template_slot{std::move(def), now_ms};
    ++template_count_;
    ++counters.templates_learned;
    if (template_count_ > config_.max_templates) evict_template(s, id, counters);
    return learn_result::learned;
}

bool template_cache::withdraw(stream_state& s, uint16_t id, decode_counters& counters) {
    template_slot* slot = s.templates.find(id);
    if (slot == nullptr) return false;
    retire(*slot);
    s.templates.erase(id);
    --template_count_;
    ++counters.templates_withdrawn;
    return true;
}

size_t template_cache::withdraw_all(stream_state& s, bool options, decode_counters& counters) {
    const size_t n = s.templates.erase_if([&](uint16_t, template_slot& slot) {
        if (slot.def->options != options) return false;
        retire(slot);
        return true;
    });
    template_count_ -= n;
    counters.templates_withdrawn += n;
    return n;
}

bool template_cache::install(const stream_key& key, std::shared_ptr<const template_def> def, uint64_t last_seen_ms) {
    if (def == nullptr || template_count_ >= config_.max_templates) return false;
    auto it = streams_.find(key);
    if (it == streams_.end()) {
        if (streams_.size() >= config_.max_streams) return false;
        // Least recent: a stream only known from the store goes first when the bound bites.
        it = streams_.emplace(key, stream_state{}).first;
        it->second.key = key;
        it->second.last_seen_ms = last_seen_ms;
        link_oldest(it->second);
    }
    const uint16_t id = def->id;
    auto [slot, inserted] = it->second.templates.try_emplace(id);
    if (!inserted) return false;
    *slot = template_slot{std::move(def), last_seen_ms};
    ++template_count_;
    return true;
}

std::shared_ptr<const template_def> template_cache::share(const stream_key& key, uint16_t id) const {
    auto it = streams_.find(key);
    if (it == streams_.end()) return nullptr;
    const template_slot* slot = it->second.templates.find(id);
    return slot != nullptr ? slot->def : nullptr;
}

size_t template_cache::expire(uint64_t now_ms, decode_counters& counters) {
    size_t n = 0;
    for (auto& [key, s] : streams_) {
        n += s.templates.erase_if([&](uint16_t, template_slot& slot) {
            if (!expired(slot, now_ms)) return false;
            retire(slot);
            return true;
        });
    }
    template_count_ -= n;
    counters.templates_expired += n;
    return n;
}

}  // namespace ipfix::proto
