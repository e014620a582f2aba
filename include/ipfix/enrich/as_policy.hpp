// When a record's AS number is written: the operator's rule per direction, and the values a
// router sends when it does not know (0, AS_TRANS, private and reserved ranges).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace ipfix::enrich {

enum class as_policy : uint8_t {
    fill,       // when the record lacks the field or carries a bad value
    override_,  // always, when the database knows the address
    never,
};

struct as_ranges {
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive

    bool contains(uint64_t as) const {
        for (const auto& [lo, hi] : ranges) {
            if (as >= lo && as <= hi) return true;
        }
        return false;
    }
};

// The default bad values: 0, AS_TRANS (RFC 6793), private (RFC 6996) and reserved ranges.
inline as_ranges default_bad_as() {
    return {{{0, 0}, {23456, 23456}, {64512, 65534}, {4200000000u, 4294967294u}, {4294967295u, 4294967295u}}};
}

// Whether the looked-up AS replaces what the record carries (`present`: nullopt when the
// template has no such field, in which case an added field is written whatever this says).
inline bool replaces(as_policy p, std::optional<uint64_t> present, const as_ranges& bad) {
    switch (p) {
        case as_policy::never: return false;
        case as_policy::override_: return true;
        case as_policy::fill: return !present || bad.contains(*present);
    }
    return false;
}

}  // namespace ipfix::enrich
