// DIR-24-8 (Gupta, Lin, McKeown 1998; the layout of DPDK's rte_lpm), built from the same IPv4
// partition as our poptrie, so that lookup_bench can measure the choice between the two.
// A 2^24-entry table indexed by the top 24 bits holds a value, or (top bit set) the number of a
// 256-entry group for the last 8 bits. 64 MiB plus the groups; 1 load, 2 for longer prefixes.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include "ipfix/enrich/poptrie.hpp"

namespace perf {

class dir24_8 {
public:
    explicit dir24_8(std::span<const ipfix::enrich::segment<uint32_t>> p)
        : tbl24_(static_cast<uint32_t*>(std::aligned_alloc(size_t{2} << 20, tbl24_bytes))) {
        if (!tbl24_) throw std::bad_alloc();
        // Transparent huge pages when the kernel gives them on request: 64 MiB in 4 KiB pages
        // would make the comparison one of TLB misses.
        ::madvise(tbl24_.get(), tbl24_bytes, MADV_HUGEPAGE);
        size_t s = 0;
        auto seek = [&](uint32_t a) {
            while (s + 1 < p.size() && p[s + 1].start <= a) ++s;
        };
        for (uint32_t i = 0; i < (1u << 24); ++i) {
            const uint32_t lo = i << 8, hi = lo | 0xff;
            seek(lo);
            if (s + 1 == p.size() || p[s + 1].start > hi) {
                tbl24_[i] = p[s].value;
                continue;
            }
            tbl24_[i] = 0x80000000u | static_cast<uint32_t>(tbl8_.size() / 256);
            for (uint32_t k = 0; k < 256; ++k) {
                seek(lo | k);
                tbl8_.push_back(p[s].value);
            }
        }
        tbl8_.shrink_to_fit();
    }

    uint32_t find(uint32_t a) const noexcept {
        const uint32_t e = tbl24_[a >> 8];
        if (e & 0x80000000u) [[unlikely]]
            return tbl8_[(size_t{e & 0x7fffffffu} << 8) | (a & 0xff)];
        return e;
    }

    size_t memory_bytes() const { return tbl24_bytes + tbl8_.size() * sizeof(uint32_t); }

private:
    static constexpr size_t tbl24_bytes = (size_t{1} << 24) * sizeof(uint32_t);
    struct free_deleter {
        void operator()(uint32_t* p) const { std::free(p); }
    };
    std::unique_ptr<uint32_t[], free_deleter> tbl24_;
    std::vector<uint32_t> tbl8_;
};

}  // namespace perf
