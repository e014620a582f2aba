#include "ipfix/enrich/dir24_8.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <utility>

namespace ipfix::enrich {

dir24_8::dir24_8(std::span<const segment<uint32_t>> p) {
    if (p.empty()) return;
    if (p.front().start != 0) throw std::invalid_argument("dir24_8: partition does not start at 0");
    bool all_zero = true;
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i].value > max_value) throw std::invalid_argument("dir24_8: value out of range");
        if (i && !(p[i - 1].start < p[i].start)) throw std::invalid_argument("dir24_8: partition not strictly sorted");
        all_zero &= p[i].value == 0;
    }
    if (all_zero) return;

    // Anonymous memory reads as zero and costs nothing until written; 2 MiB alignment lets the
    // kernel back it with huge pages.
    constexpr size_t huge = size_t{2} << 20;
    map_bytes_ = tbl24_bytes + huge;
    map_ = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map_ == MAP_FAILED) {
        map_ = nullptr;
        throw std::bad_alloc();
    }
    const auto base = reinterpret_cast<uintptr_t>(map_);
    tbl24_ = reinterpret_cast<uint32_t*>((base + huge - 1) & ~(huge - 1));
    ::madvise(tbl24_, tbl24_bytes, MADV_HUGEPAGE);  // advice only: fine if refused

    try {
        // Whole /24 blocks inside a segment take its value directly (zeros are already there).
        for (size_t i = 0; i < p.size(); ++i) {
            const uint64_t first = p[i].start;
            const uint64_t end = i + 1 < p.size() ? p[i + 1].start : uint64_t{1} << 32;  // exclusive
            const uint64_t full_from = (first + 0xff) >> 8, full_to = end >> 8;
            if (p[i].value && full_from < full_to) std::fill(tbl24_ + full_from, tbl24_ + full_to, p[i].value);
        }
        // A block with a segment starting inside it gets a group; boundaries are sorted, so are
        // the blocks, and one cursor walks the segments along.
        size_t s = 0;
        uint64_t last_block = UINT64_MAX;
        for (size_t i = 1; i < p.size(); ++i) {
            const uint32_t block = p[i].start >> 8;
            if ((p[i].start & 0xff) == 0 || block == last_block) continue;
            last_block = block;
            tbl24_[block] = group_flag | static_cast<uint32_t>(tbl8_.size() / 256);
            for (uint32_t k = 0; k < 256; ++k) {
                const uint32_t a = (block << 8) | k;
                while (s + 1 < p.size() && p[s + 1].start <= a) ++s;
                tbl8_.push_back(p[s].value);
            }
        }
    } catch (...) {
        release();
        throw;
    }
    tbl8_.shrink_to_fit();
}

dir24_8::dir24_8(dir24_8&& o) noexcept
    : tbl24_(std::exchange(o.tbl24_, nullptr)),
      map_(std::exchange(o.map_, nullptr)),
      map_bytes_(std::exchange(o.map_bytes_, 0)),
      tbl8_(std::move(o.tbl8_)) {}

dir24_8& dir24_8::operator=(dir24_8&& o) noexcept {
    if (this != &o) {
        release();
        tbl24_ = std::exchange(o.tbl24_, nullptr);
        map_ = std::exchange(o.map_, nullptr);
        map_bytes_ = std::exchange(o.map_bytes_, 0);
        tbl8_ = std::move(o.tbl8_);
    }
    return *this;
}

dir24_8::~dir24_8() { release(); }

void dir24_8::release() noexcept {
    if (map_) ::munmap(map_, map_bytes_);
    map_ = nullptr;
    tbl24_ = nullptr;
    map_bytes_ = 0;
    tbl8_.clear();
}

}  // namespace ipfix::enrich
