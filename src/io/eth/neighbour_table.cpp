#include "ipfix/io/eth/neighbour_table.hpp"

#include <algorithm>

namespace ipfix::io::eth {

neighbour_table::guard::guard(const std::atomic_flag& f) : flag(const_cast<std::atomic_flag&>(f)) {
    while (flag.test_and_set(std::memory_order_acquire)) {
    }
}
neighbour_table::guard::~guard() { flag.clear(std::memory_order_release); }

neighbour_table::neighbour_table(options o) : options_(o) {
    options_.capacity = std::max<size_t>(o.capacity, 1);
    entries_.reserve(options_.capacity);
}

neighbour_table::entry* neighbour_table::find(const proto::ip_address& ip) {
    for (entry& e : entries_) {
        if (e.ip == ip) return &e;
    }
    return nullptr;
}

neighbour_table::entry* neighbour_table::insert(const proto::ip_address& ip, uint64_t now_ms) {
    entry* slot = nullptr;
    if (entries_.size() < options_.capacity) {
        slot = &entries_.emplace_back();
    } else {
        for (entry& e : entries_) {
            if (!e.is_static && (slot == nullptr || e.used_ms < slot->used_ms)) slot = &e;
        }
        if (slot == nullptr) return nullptr;  // every entry is static
        *slot = {};
    }
    slot->ip = ip;
    slot->used_ms = now_ms;
    return slot;
}

bool neighbour_table::valid(const entry& e, uint64_t now_ms) const {
    return e.resolved && (e.is_static || now_ms - e.updated_ms < options_.lifetime_ms);
}

void neighbour_table::add_static(const proto::ip_address& ip, const mac_address& mac) {
    guard g(lock_);
    entry* e = find(ip);
    if (e == nullptr) e = insert(ip, 0);
    if (e == nullptr) return;
    e->mac = mac;
    e->resolved = true;
    e->is_static = true;
}

void neighbour_table::learn(const proto::ip_address& ip, const mac_address& mac, uint64_t now_ms, bool create) {
    guard g(lock_);
    entry* e = find(ip);
    if (e == nullptr && create) e = insert(ip, now_ms);
    if (e == nullptr || e->is_static) return;
    if (!valid(*e, now_ms)) resolved_total_.fetch_add(1, std::memory_order_relaxed);
    e->mac = mac;
    e->resolved = true;
    e->updated_ms = now_ms;
    e->used_ms = now_ms;
    e->requested = false;
}

neighbour_table::answer neighbour_table::lookup(const proto::ip_address& ip, uint64_t now_ms) {
    guard g(lock_);
    answer a;
    entry* e = find(ip);
    if (e == nullptr) e = insert(ip, now_ms);
    if (e == nullptr) return a;
    e->used_ms = now_ms;
    a.resolved = valid(*e, now_ms);
    if (a.resolved) a.mac = e->mac;
    if (e->is_static) return a;
    // Ask while unresolved, and from three quarters of the lifetime on, so a live neighbour is
    // refreshed before its entry expires.
    const bool due = !a.resolved || now_ms - e->updated_ms >= options_.lifetime_ms / 4 * 3;
    if (due && (!e->requested || now_ms - e->requested_ms >= options_.retry_ms)) {
        a.send_request = true;
        e->requested = true;
        e->requested_ms = now_ms;
    }
    return a;
}

size_t neighbour_table::resolved_now(uint64_t now_ms) const {
    guard g(lock_);
    return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                             [&](const entry& e) { return valid(e, now_ms); }));
}

}  // namespace ipfix::io::eth
