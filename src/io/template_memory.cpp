#include "ipfix/io/template_memory.hpp"

#include <algorithm>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::io {
namespace {

constexpr size_t header_size = 16;
constexpr uint16_t template_set = 2;
constexpr uint16_t options_set = 3;

// The end of the template record at `pos` (before `end`), or 0 when it runs past the set.
size_t record_end(const uint8_t* p, size_t pos, size_t end, uint16_t set_id, uint16_t fields) {
    size_t f = pos + (set_id == options_set ? 6 : 4);
    if (f > end) return 0;
    for (uint16_t i = 0; i < fields; ++i) {
        if (end - f < 4) return 0;
        const bool enterprise = (proto::load_be16(p + f) & 0x8000) != 0;
        f += 4;
        if (enterprise) {
            if (end - f < 4) return 0;
            f += 4;
        }
    }
    return f;
}

}  // namespace

size_t ipfix_message_length(std::span<const uint8_t> bytes) {
    if (bytes.size() < header_size || proto::load_be16(bytes.data()) != 10) return 0;
    const size_t len = proto::load_be16(bytes.data() + 2);
    return len >= header_size && len <= bytes.size() ? len : 0;
}

ipfix_header read_ipfix_header(std::span<const uint8_t> message) {
    const uint8_t* p = message.data();
    return {proto::load_be32(p + 4), proto::load_be32(p + 8), proto::load_be32(p + 12)};
}

void template_memory::withdraw_all(uint32_t domain, uint16_t set_id) {
    for (auto it = templates_.lower_bound({domain, 0}); it != templates_.end() && it->first.first == domain;) {
        if (it->second.first == set_id) {
            it = templates_.erase(it);
            ++version_;
        } else {
            ++it;
        }
    }
}

bool template_memory::learn(std::span<const uint8_t> message) {
    const size_t len = ipfix_message_length(message);
    if (len == 0) return false;
    const uint8_t* p = message.data();
    const uint32_t domain = proto::load_be32(p + 12);
    size_t off = header_size;
    while (len - off >= 4) {
        const uint16_t set_id = proto::load_be16(p + off);
        const size_t set_len = proto::load_be16(p + off + 2);
        if (set_len < 4 || set_len > len - off) return false;
        const size_t end = off + set_len;
        if (set_id == template_set || set_id == options_set) {
            size_t pos = off + 4;
            while (end - pos >= 4) {
                const uint16_t id = proto::load_be16(p + pos);
                const uint16_t fields = proto::load_be16(p + pos + 2);
                if (id == 0) break;  // padding
                if (fields == 0) {
                    if (id == set_id) withdraw_all(domain, set_id);
                    else version_ += templates_.erase({domain, id});
                    pos += 4;
                    continue;
                }
                const size_t f = record_end(p, pos, end, set_id, fields);
                if (f == 0 || id < 256) return false;
                auto& slot = templates_[{domain, id}];
                if (slot.first != set_id || !std::equal(slot.second.begin(), slot.second.end(), p + pos, p + f)) {
                    slot = {set_id, std::vector<uint8_t>(p + pos, p + f)};
                    ++version_;
                }
                pos = f;
            }
        }
        off = end;
    }
    return true;
}

std::vector<std::vector<uint8_t>> template_memory::messages_for(uint32_t domain, uint32_t export_time, uint32_t sequence,
                                                                size_t max_size) const {
    std::vector<std::vector<uint8_t>> out;
    std::vector<uint8_t> m;
    size_t set_start = 0;
    uint16_t current = 0;
    const auto close_set = [&] {
        if (current != 0) proto::store_be16(m.data() + set_start + 2, static_cast<uint16_t>(m.size() - set_start));
        current = 0;
    };
    const auto finish = [&] {
        close_set();
        uint8_t* h = m.data();
        proto::store_be16(h, 10);
        proto::store_be16(h + 2, static_cast<uint16_t>(m.size()));
        proto::store_be32(h + 4, export_time);
        proto::store_be32(h + 8, sequence);
        proto::store_be32(h + 12, domain);
        out.push_back(std::move(m));
        m.clear();
    };
    for (auto it = templates_.lower_bound({domain, 0}); it != templates_.end() && it->first.first == domain; ++it) {
        const auto& [set_id, record] = it->second;
        if (m.empty()) m.assign(header_size, 0);
        if (m.size() + record.size() + (current != set_id ? 4 : 0) > max_size && m.size() > header_size) {
            finish();
            m.assign(header_size, 0);
        }
        if (current != set_id) {
            close_set();
            set_start = m.size();
            m.insert(m.end(), {static_cast<uint8_t>(set_id >> 8), static_cast<uint8_t>(set_id), 0, 0});
            current = set_id;
        }
        m.insert(m.end(), record.begin(), record.end());
    }
    if (!m.empty()) finish();
    return out;
}

std::vector<template_memory::entry> template_memory::entries() const {
    std::vector<entry> out;
    for (const auto& [key, value] : templates_) out.push_back({key.first, value.first, value.second});
    return out;
}

void template_memory::restore(const std::vector<entry>& entries) {
    templates_.clear();
    for (const entry& e : entries) {
        if (e.record.size() < 4 || (e.set_id != template_set && e.set_id != options_set)) continue;
        templates_[{e.domain, proto::load_be16(e.record.data())}] = {e.set_id, e.record};
    }
    ++version_;
}

}  // namespace ipfix::io
