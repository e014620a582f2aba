// An immutable IPv4 longest-prefix-match table in the DIR-24-8 layout (Gupta, Lin, McKeown 1998;
// the layout of DPDK's rte_lpm), built from a partition of the address space like poptrie.hpp.
// The top 24 bits index a 2^24-entry array holding a 31-bit value, or (top bit set) the number of
// a 256-entry group for the last 8 bits: one load for prefixes up to /24, two beyond.
//
// Chosen for IPv4 over the poptrie by measurement (perf/lookup_bench): on a Zipf mix of real
// addresses it is 2-3x faster, at 64 MiB + 1 KiB per group (about 80 MiB for a full table)
// instead of about 5 MiB. The array is mapped lazily and only non-zero entries are written, so
// an empty or sparse table costs little memory; it asks for transparent huge pages, which keep a
// lookup from also paying a TLB miss.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include "ipfix/enrich/huge_array.hpp"
#include "ipfix/enrich/poptrie.hpp"

namespace ipfix::enrich {

class dir24_8 {
public:
    static constexpr uint32_t max_value = 0x7fffffff;

    // Every address maps to 0.
    dir24_8() = default;

    // Throws std::invalid_argument on a malformed partition (as poptrie), std::bad_alloc when the
    // array cannot be mapped.
    explicit dir24_8(std::span<const segment<uint32_t>> partition);

    uint32_t find(uint32_t addr) const noexcept {
        if (tbl24_.empty()) return 0;
        const uint32_t e = tbl24_[addr >> 8];
        if (e & group_flag) [[unlikely]]
            return tbl8_[(size_t{e & max_value} << 8) | (addr & 0xff)];
        return e;
    }

    // Starts loading the array entry find(addr) reads first.
    void prefetch(uint32_t addr) const noexcept {
        if (!tbl24_.empty()) __builtin_prefetch(&tbl24_[addr >> 8]);
    }

    void find_batch(const uint32_t* addrs, uint32_t* out, size_t n) const noexcept {
        for (size_t i = 0; i < n; ++i) out[i] = find(addrs[i]);
    }

    size_t group_count() const noexcept { return tbl8_.size() / 256; }
    // The whole array counts, though untouched parts of it are never resident.
    size_t memory_bytes() const noexcept { return tbl24_.bytes() + tbl8_.bytes(); }

private:
    static constexpr uint32_t group_flag = 0x80000000u;

    huge_array<uint32_t> tbl24_;  // 2^24 entries (empty: every address maps to 0)
    huge_array<uint32_t> tbl8_;   // the groups, 256 entries each
};

}  // namespace ipfix::enrich
