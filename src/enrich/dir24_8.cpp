#include "ipfix/enrich/dir24_8.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

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

    // Anonymous memory reads as zero and costs nothing until written.
    tbl24_ = huge_array<uint32_t>(size_t{1} << 24);
    // Whole /24 blocks inside a segment take its value directly (zeros are already there).
    for (size_t i = 0; i < p.size(); ++i) {
        const uint64_t first = p[i].start;
        const uint64_t end = i + 1 < p.size() ? p[i + 1].start : uint64_t{1} << 32;  // exclusive
        const uint64_t full_from = (first + 0xff) >> 8, full_to = end >> 8;
        if (p[i].value && full_from < full_to) std::fill(tbl24_.data() + full_from, tbl24_.data() + full_to, p[i].value);
    }
    // A block with a segment starting inside it gets a group; boundaries are sorted, so are
    // the blocks, and one cursor walks the segments along.
    std::vector<uint32_t> groups;
    size_t s = 0;
    uint64_t last_block = UINT64_MAX;
    for (size_t i = 1; i < p.size(); ++i) {
        const uint32_t block = p[i].start >> 8;
        if ((p[i].start & 0xff) == 0 || block == last_block) continue;
        last_block = block;
        tbl24_[block] = group_flag | static_cast<uint32_t>(groups.size() / 256);
        for (uint32_t k = 0; k < 256; ++k) {
            const uint32_t a = (block << 8) | k;
            while (s + 1 < p.size() && p[s + 1].start <= a) ++s;
            groups.push_back(p[s].value);
        }
    }
    tbl8_ = huge_array<uint32_t>(std::span<const uint32_t>(groups));
}

}  // namespace ipfix::enrich
