// IP address -> MAC address of on-link neighbours (ARP for IPv4, neighbour discovery for IPv6),
// shared by a port's lcores: short critical sections under a spinlock (the data path looks up
// at most once a second per next hop; learning happens on ARP/ND frames only). Time is passed
// in, so lifetimes and retries are testable.
//
//   auto a = table.lookup(next_hop, now_ms);
//   if (a.send_request) send an ARP request / neighbour solicitation;
//   if (a.resolved) use a.mac;
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "ipfix/io/eth/frame.hpp"

namespace ipfix::io::eth {

class neighbour_table {
public:
    struct options {
        uint32_t lifetime_ms = 300'000;  // a learnt entry is used this long after its last answer
        uint32_t retry_ms = 1'000;       // at most one request per address in this time
        size_t capacity = 256;           // the least recently used learnt entry makes room
    };

    explicit neighbour_table(options o);
    neighbour_table() : neighbour_table(options{}) {}

    // Configured neighbours: never expire, never asked for.
    void add_static(const proto::ip_address& ip, const mac_address& mac);

    // An ARP reply / request or ND advertisement / solicitation from `ip`. With `create` false
    // only an address already in the table (one we asked for) is updated.
    void learn(const proto::ip_address& ip, const mac_address& mac, uint64_t now_ms, bool create);

    struct answer {
        bool resolved = false;
        mac_address mac{};
        bool send_request = false;  // ask now: unresolved, expired, or close to expiry
    };
    answer lookup(const proto::ip_address& ip, uint64_t now_ms);

    // Entries that went from unresolved to resolved, ever (static ones not counted).
    uint64_t resolved_total() const { return resolved_total_.load(std::memory_order_relaxed); }
    // Entries resolved and not expired at `now_ms` (static ones included).
    size_t resolved_now(uint64_t now_ms) const;

private:
    struct entry {
        proto::ip_address ip;
        mac_address mac{};
        bool resolved = false;
        bool is_static = false;
        uint64_t updated_ms = 0;       // last answer
        uint64_t requested_ms = 0;     // last request
        bool requested = false;
        uint64_t used_ms = 0;          // last lookup or answer, for eviction
    };
    struct guard {
        explicit guard(const std::atomic_flag& f);
        ~guard();
        std::atomic_flag& flag;
    };

    entry* find(const proto::ip_address& ip);
    entry* insert(const proto::ip_address& ip, uint64_t now_ms);
    bool valid(const entry& e, uint64_t now_ms) const;

    options options_;
    std::vector<entry> entries_;
    mutable std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
    std::atomic<uint64_t> resolved_total_{0};
};

}  // namespace ipfix::io::eth
