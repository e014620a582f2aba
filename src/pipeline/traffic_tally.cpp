#include "ipfix/pipeline/traffic_tally.hpp"

#include <algorithm>
#include <bit>
#include <thread>
#include <tuple>

namespace ipfix::pipeline {
namespace {

size_t endpoint_hash(const proto::exporter_endpoint& e) {
    return address_hash{}(e.address) ^ (size_t{e.port} * 0x100000001B3ull);
}

bool address_less(const proto::ip_address& a, const proto::ip_address& b) {
    return std::tie(a.family, a.bytes) < std::tie(b.family, b.bytes);
}

struct endpoint_hasher {
    size_t operator()(const proto::exporter_endpoint& e) const noexcept { return endpoint_hash(e); }
};

// Space-saving summaries of several workers as one (Agarwal et al., "Mergeable summaries"): a
// key a worker does not list may have weighed up to that worker's floor there, so the floor goes
// into both its count and its error; the merged floor is the sum of the floors.
template <class Key, class Hash>
heavy_list<Key> merge_lists(const std::vector<const heavy_list<Key>*>& lists) {
    struct sums {
        uint64_t count = 0, error = 0, other = 0, floors_present = 0;
    };
    std::unordered_map<Key, sums, Hash> by_key;
    heavy_list<Key> out;
    for (const heavy_list<Key>* l : lists) {
        out.floor += l->floor;
        out.total += l->total;
        for (const heavy_entry<Key>& e : l->entries) {
            sums& s = by_key[e.key];
            s.count += e.count;
            s.error += e.error;
            s.other += e.other;
            s.floors_present += l->floor;
        }
    }
    out.entries.reserve(by_key.size());
    for (const auto& [key, s] : by_key) {
        const uint64_t absent = out.floor - s.floors_present;
        out.entries.push_back({key, s.count + absent, s.error + absent, s.other});
    }
    return out;
}

template <class Key, class Less>
void sort_heaviest_first(heavy_list<Key>& l, Less less) {
    std::sort(l.entries.begin(), l.entries.end(), [&](const heavy_entry<Key>& a, const heavy_entry<Key>& b) {
        if (a.count != b.count) return a.count > b.count;
        return less(a.key, b.key);
    });
}

}  // namespace

size_t template_key_hash::operator()(const template_tally& t) const noexcept {
    return proto::stream_key_hash{}(t.stream) ^ (size_t{t.id} << 1 | (t.options ? 1u : 0u)) * 0x9E3779B97F4A7C15ull;
}

traffic_tally::traffic_tally(const tally_limits& limits)
    : limits_(limits),
      source_as_(limits.top_k),
      destination_as_(limits.top_k),
      talkers_(limits.top_k) {
    if (limits_.sample_every == 0) limits_.sample_every = 1;
    if (limits_.max_exporters == 0) limits_.max_exporters = 1;
    exporter_slots_.assign(std::bit_ceil(limits_.max_exporters * 2), 0);
    sample_countdown_ = limits_.sample_every;
}

exporter_tally* traffic_tally::find_exporter(const proto::exporter_endpoint& e) {
    // Datagrams come in bursts from one exporter: the last hit first.
    if (last_exporter_ != 0 && exporters_[last_exporter_ - 1].exporter == e) return &exporters_[last_exporter_ - 1];
    const size_t mask = exporter_slots_.size() - 1;
    size_t s = endpoint_hash(e) & mask;
    for (uint32_t i = exporter_slots_[s]; i != 0; i = exporter_slots_[s]) {
        if (exporters_[i - 1].exporter == e) {
            last_exporter_ = i;
            return &exporters_[i - 1];
        }
        s = (s + 1) & mask;
    }
    if (exporters_.size() >= limits_.max_exporters) return nullptr;
    exporters_.push_back({});
    exporters_.back().exporter = e;
    last_exporter_ = static_cast<uint32_t>(exporters_.size());
    exporter_slots_[s] = last_exporter_;
    return &exporters_.back();
}

void traffic_tally::datagram(const proto::exporter_endpoint& from, size_t bytes, bool decoded,
                             const proto::decoded_message& msg, std::span<const mediate::record_values> values,
                             uint64_t sequence_gaps_total, uint64_t now_ms) {
    const uint64_t gaps = sequence_gaps_total - gaps_seen_;
    gaps_seen_ = sequence_gaps_total;
    if (exporter_tally* e = find_exporter(from)) {
        ++e->datagrams;
        e->records += msg.records.size();
        e->bytes += bytes;
        e->sequence_gaps += gaps;
        e->malformed += msg.malformed;
        e->last_seen_ms = now_ms;
        if (decoded) e->version = static_cast<uint8_t>(msg.header.version);
    } else {
        ++exporters_untracked_;
    }
    if (!decoded) return;
    if (!msg.template_events.empty()) note_templates(msg, now_ms);

    if (now_ms / 1000 != second_) {
        second_ = now_ms / 1000;
        exact_left_ = limits_.exact_per_second;
    }
    const size_t n = std::min(msg.records.size(), values.size());
    size_t i = 0;
    for (; i < n && exact_left_ > 0; ++i, --exact_left_) count_record(msg.records[i], values[i], 1);
    // Past the budget the records between samples are skipped, not looked at.
    const uint32_t every = limits_.sample_every;
    while (i < n) {
        if (sample_countdown_ > n - i) {
            sample_countdown_ -= static_cast<uint32_t>(n - i);
            break;
        }
        i += sample_countdown_ - 1;
        count_record(msg.records[i], values[i], every);
        sampled_ = every > 1;
        sample_countdown_ = every;
        ++i;
    }
}

void traffic_tally::count_record(const proto::record_view& r, const mediate::record_values& v, uint64_t scale) {
    if (r.tmpl->options) return;
    const uint64_t octets = r.octets().value_or(0) * scale;
    const auto src = v.write_source_as ? v.source_as : static_cast<uint32_t>(r.source_as().value_or(0));
    const auto dst = v.write_destination_as ? v.destination_as : static_cast<uint32_t>(r.destination_as().value_or(0));
    source_as_.add(src, scale, octets);
    destination_as_.add(dst, scale, octets);
    const proto::ip_address a = r.source_address();
    if (!a.empty()) talkers_.add(a, octets, scale);
}

void traffic_tally::note_templates(const proto::decoded_message& msg, uint64_t now_ms) {
    auto remove_at = [this](uint32_t i) {
        template_index_.erase(templates_[i]);
        if (i + 1 != templates_.size()) {
            templates_[i] = templates_.back();
            template_index_[templates_[i]] = i;
        }
        templates_.pop_back();
    };
    for (const proto::template_event& ev : msg.template_events) {
        template_tally key;
        key.stream = msg.stream;
        key.id = ev.id;
        key.options = ev.options;
        if (ev.kind == proto::template_event_kind::withdrawn) {
            if (ev.id >= 256) {
                if (auto it = template_index_.find(key); it != template_index_.end()) remove_at(it->second);
                continue;
            }
            // Ids below 256 are the set id of a "withdraw all" (RFC 7011 §8.1).
            for (size_t i = templates_.size(); i-- > 0;) {
                if (templates_[i].stream == msg.stream && templates_[i].options == ev.options)
                    remove_at(static_cast<uint32_t>(i));
            }
            continue;
        }
        auto it = template_index_.find(key);
        if (it == template_index_.end()) {
            if (templates_.size() >= limits_.max_templates) {
                ++templates_untracked_;
                continue;
            }
            it = template_index_.emplace(key, static_cast<uint32_t>(templates_.size())).first;
            templates_.push_back(key);
        }
        template_tally& t = templates_[it->second];
        t.fields = ev.def != nullptr ? static_cast<uint16_t>(ev.def->fields.size()) : 0;
        t.last_seen_ms = now_ms;
    }
}

void traffic_tally::clear() {
    exporters_.clear();
    std::fill(exporter_slots_.begin(), exporter_slots_.end(), 0u);
    last_exporter_ = 0;
    exporters_untracked_ = 0;
    templates_.clear();
    template_index_.clear();
    templates_untracked_ = 0;
    source_as_.clear();
    destination_as_.clear();
    talkers_.clear();
    sampled_ = false;
}

void traffic_tally::publish() {
    const uint64_t want = requested_.load(std::memory_order_acquire);
    if (want == requests_done_) return;
    // Loaded after the request: a reset is always stored before the request that follows it.
    const uint64_t reset = resets_requested_.load(std::memory_order_acquire);
    if (reset != resets_done_) {
        clear();
        resets_done_ = reset;
    }
    snapshot_.exporters.assign(exporters_.begin(), exporters_.end());
    snapshot_.exporters_untracked = exporters_untracked_;
    snapshot_.templates.assign(templates_.begin(), templates_.end());
    snapshot_.templates_untracked = templates_untracked_;
    source_as_.copy_to(snapshot_.source_as);
    destination_as_.copy_to(snapshot_.destination_as);
    talkers_.copy_to(snapshot_.talkers);
    snapshot_.sample_every = sampled_ ? limits_.sample_every : 1;
    requests_done_ = want;
    answered_.store(want, std::memory_order_release);
}

void traffic_tally::request() { requested_.store(++next_request_, std::memory_order_release); }

bool traffic_tally::take() {
    if (answered_.load(std::memory_order_acquire) != next_request_) return false;
    last_read_ = snapshot_;
    return true;
}

void traffic_tally::request_reset() {
    resets_requested_.store(++next_reset_, std::memory_order_release);
    last_read_ = traffic_report{};
    request();
}

traffic_report read_traffic(std::span<traffic_tally* const> tallies, std::chrono::milliseconds wait, uint64_t now_ms,
                            uint64_t template_lifetime_ms) {
    for (traffic_tally* t : tallies) t->request();
    std::vector<bool> done(tallies.size(), false);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < tallies.size(); ++i) {
            if (!done[i]) done[i] = tallies[i]->take();
            all = all && done[i];
        }
        if (all || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    traffic_report out;
    std::unordered_map<proto::exporter_endpoint, size_t, endpoint_hasher> exporter_at;
    std::unordered_map<template_tally, size_t, template_key_hash, template_key_equal>
        template_at;
    std::vector<const heavy_list<uint32_t>*> sources, destinations;
    std::vector<const heavy_list<proto::ip_address>*> talkers;
    for (traffic_tally* t : tallies) {
        const traffic_report& r = t->last_read();
        out.sample_every = std::max(out.sample_every, r.sample_every);
        out.exporters_untracked += r.exporters_untracked;
        out.templates_untracked += r.templates_untracked;
        for (const exporter_tally& e : r.exporters) {
            auto [it, fresh] = exporter_at.try_emplace(e.exporter, out.exporters.size());
            if (fresh) {
                out.exporters.push_back(e);
                continue;
            }
            exporter_tally& m = out.exporters[it->second];
            if (e.last_seen_ms >= m.last_seen_ms && e.version != 0) m.version = e.version;
            m.datagrams += e.datagrams;
            m.records += e.records;
            m.bytes += e.bytes;
            m.sequence_gaps += e.sequence_gaps;
            m.malformed += e.malformed;
            m.last_seen_ms = std::max(m.last_seen_ms, e.last_seen_ms);
        }
        for (const template_tally& x : r.templates) {
            if (template_lifetime_ms != 0 && now_ms > x.last_seen_ms && now_ms - x.last_seen_ms > template_lifetime_ms)
                continue;
            auto [it, fresh] = template_at.try_emplace(x, out.templates.size());
            if (fresh) out.templates.push_back(x);
            else if (x.last_seen_ms > out.templates[it->second].last_seen_ms) out.templates[it->second] = x;
        }
        sources.push_back(&r.source_as);
        destinations.push_back(&r.destination_as);
        talkers.push_back(&r.talkers);
    }
    std::sort(out.exporters.begin(), out.exporters.end(), [](const exporter_tally& a, const exporter_tally& b) {
        if (a.records != b.records) return a.records > b.records;
        if (!(a.exporter.address == b.exporter.address)) return address_less(a.exporter.address, b.exporter.address);
        return a.exporter.port < b.exporter.port;
    });
    std::sort(out.templates.begin(), out.templates.end(), [](const template_tally& a, const template_tally& b) {
        const auto& x = a.stream.exporter;
        const auto& y = b.stream.exporter;
        if (!(x.address == y.address)) return address_less(x.address, y.address);
        return std::tie(x.port, a.stream.domain, a.stream.version, a.id, a.options) <
               std::tie(y.port, b.stream.domain, b.stream.version, b.id, b.options);
    });
    out.source_as = merge_lists<uint32_t, as_hash>(sources);
    out.destination_as = merge_lists<uint32_t, as_hash>(destinations);
    out.talkers = merge_lists<proto::ip_address, address_hash>(talkers);
    sort_heaviest_first(out.source_as, std::less<uint32_t>{});
    sort_heaviest_first(out.destination_as, std::less<uint32_t>{});
    sort_heaviest_first(out.talkers, address_less);
    return out;
}

void reset_traffic(std::span<traffic_tally* const> tallies) {
    for (traffic_tally* t : tallies) t->request_reset();
}

}  // namespace ipfix::pipeline
