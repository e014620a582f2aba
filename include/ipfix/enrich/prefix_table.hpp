// The compiled, immutable AS/country table the data path reads: one longest-prefix-match structure
// per address family (IPv4: DIR-24-8, IPv6: poptrie) mapping an address to a row of shared
// attributes (AS number, interned organisation, country). Built off the data path by load_table() (table_loader.hpp); lookups
// never allocate, lock or call libmaxminddb, and any number of threads may read one table.
//
//   const prefix_table& t = reader.current();          // once per burst (as_database.hpp)
//   const as_attributes& a = t.attributes(t.find(addr));
//   if (a.asn) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/enrich/as_attributes.hpp"
#include "ipfix/enrich/dir24_8.hpp"
#include "ipfix/enrich/poptrie.hpp"
#include "ipfix/proto/ip_address.hpp"

namespace ipfix::enrich {

// In the IPv6 partition, value v4_alias_base + d means "this region is an alias of the IPv4
// table: the IPv4 address is key bits [d, d + 32)" (MMDB's ::/96, ::ffff:0:0/96, 6to4 2002::/16,
// Teredo 2001::/32 all point at the IPv4 subtree). Attribute indexes stay below it.
inline constexpr uint32_t v4_alias_base = 0x7fffff00u;

// Where a table's data came from (one entry per database file, in merge order).
struct source_info {
    std::string path;
    std::string database_type;  // MMDB metadata, e.g. "GeoLite2-ASN"
    uint64_t build_epoch = 0;
    unsigned ip_version = 0;    // 4 or 6
    uint32_t node_count = 0;
    uint32_t record_size = 0;
    size_t data_records = 0;    // distinct data records the search tree points to
    bool has_asn = false;       // some record carries an AS number
    bool has_org = false;
    bool has_country = false;
};

struct table_stats {
    size_t v4_segments = 0;  // runs of equal attributes over the IPv4 space
    size_t v6_segments = 0;
    size_t v4_groups = 0;    // DIR-24-8 second-level groups (256 addresses each)
    size_t v6_nodes = 0;     // poptrie nodes
    size_t attributes = 0;   // distinct rows, including the empty row 0
    size_t orgs = 0;         // distinct organisation names, including the empty name 0
    size_t memory_bytes = 0; // lookup structures + attributes + names
};

// The material a table is compiled from. Partitions as in poptrie.hpp; values index attributes.
struct table_parts {
    std::vector<segment<uint32_t>> v4;
    std::vector<segment<u128>> v6;
    std::vector<as_attributes> attributes{as_attributes{}};  // [0] is the empty row
    std::vector<std::string> orgs{std::string{}};           // [0] is the empty name
    std::vector<source_info> sources;
};

class prefix_table {
public:
    // Every lookup misses.
    prefix_table();

    // Throws std::invalid_argument when a partition is malformed or a value or org index is out of
    // range.
    explicit prefix_table(table_parts parts);

    // Index of the attribute row for the address; 0 when no database has data for it.
    // IPv4: host byte order. IPv6: 16 bytes in network order; ::ffff:a.b.c.d is looked up as IPv4.
    // Inline: a call per address costs as much as an IPv4 lookup itself.
    uint32_t find_v4(uint32_t addr) const noexcept { return v4_.find(addr); }
    uint32_t find_v6(const uint8_t* addr) const noexcept {
        if (is_v4_mapped(addr)) return v4_.find(v4_key(addr + 12));
        const u128 key = v6_key(addr);
        const uint32_t v = v6_.find(key);
        if (v < v4_alias_base) [[likely]]
            return v;
        return v4_.find(static_cast<uint32_t>(static_cast<u128>(key << (v - v4_alias_base)) >> 96));
    }
    uint32_t find(const proto::ip_address& addr) const noexcept {
        if (addr.family == 4) return find_v4(v4_key(addr.bytes.data()));
        if (addr.family == 6) return find_v6(addr.bytes.data());
        return 0;
    }
    // find() for every address of a burst: out[i] for in[i]. The IPv4 entries are prefetched
    // together and the IPv6 walks interleaved (poptrie::find_batch), so the burst's cache misses
    // overlap instead of coming one after another.
    void find_burst(std::span<const proto::ip_address> in, uint32_t* out) const noexcept;

    const as_attributes& attributes(uint32_t index) const noexcept { return attributes_[index]; }
    // Start loading what attributes(row), and org_name() of its organisation, read: a burst's
    // rows and names then arrive together rather than one cache miss after another.
    void prefetch_row(uint32_t row) const noexcept { __builtin_prefetch(&attributes_[row]); }
    void prefetch_name(uint32_t org) const noexcept {
        __builtin_prefetch(&org_offsets_[org]);
        __builtin_prefetch(&org_offsets_[org + 1]);
    }
    std::string_view org_name(uint32_t org) const noexcept {
        return std::string_view(org_blob_).substr(org_offsets_[org], org_offsets_[org + 1] - org_offsets_[org]);
    }
    as_info info(uint32_t index) const noexcept;
    as_info lookup(const proto::ip_address& addr) const noexcept { return info(find(addr)); }

    const table_stats& stats() const noexcept { return stats_; }
    const std::vector<source_info>& sources() const noexcept { return sources_; }

private:
    dir24_8 v4_;
    poptrie<u128, 24, 2> v6_;
    std::vector<as_attributes> attributes_;
    std::string org_blob_;
    std::vector<uint32_t> org_offsets_;  // name i is [offsets[i], offsets[i + 1])
    std::vector<source_info> sources_;
    table_stats stats_;
};

}  // namespace ipfix::enrich
