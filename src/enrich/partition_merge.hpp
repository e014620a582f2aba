// Overlaying two partitions of one key space (internal to enrich): the result is split wherever
// either input changes value, and carries combine(a_value, b_value); equal neighbours are joined.
#pragma once

#include <vector>

#include "ipfix/enrich/poptrie.hpp"

namespace ipfix::enrich {

template <class Key, class Combine>
std::vector<segment<Key>> merge_partitions(const std::vector<segment<Key>>& a, const std::vector<segment<Key>>& b,
                                           Combine&& combine) {
    static const std::vector<segment<Key>> nothing{{Key{0}, 0}};
    const auto& x = a.empty() ? nothing : a;
    const auto& y = b.empty() ? nothing : b;
    std::vector<segment<Key>> out;
    out.reserve(x.size() + y.size());
    size_t i = 0, j = 0;
    Key at = 0;
    for (;;) {
        const uint32_t v = combine(x[i].value, y[j].value);
        if (out.empty() || out.back().value != v) out.push_back({at, v});
        const bool more_x = i + 1 < x.size(), more_y = j + 1 < y.size();
        if (!more_x && !more_y) break;
        if (more_x && (!more_y || x[i + 1].start <= y[j + 1].start)) at = x[i + 1].start;
        else at = y[j + 1].start;
        if (more_x && x[i + 1].start == at) ++i;
        if (more_y && y[j + 1].start == at) ++j;
    }
    return out;
}

}  // namespace ipfix::enrich
