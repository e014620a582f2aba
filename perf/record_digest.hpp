// What both decoders under test hand over per record, folded into one number: the fields
// enrichment reads (source and destination address, source and destination AS). Equal
// digests show the two decoders read the same values from the same records, and the sum
// keeps the compiler from dropping the reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ipfix/proto/enrichment_fields.hpp"

namespace ipfix::perf {

struct record_digest {
    uint64_t records = 0;
    uint64_t sum = 0;

    // Addresses as their bytes: 4 (IPv4), 16 (IPv6) or 0 (absent). Each is read at the width
    // it has, as a lookup keyed by the address would.
    void add(const uint8_t* src, size_t src_len, const uint8_t* dst, size_t dst_len, uint64_t src_as,
             uint64_t dst_as) {
        const uint64_t x = fold(src, src_len) + 5 * fold(dst, dst_len) + 11 * src_as + 13 * dst_as;
        sum += x * 0x9E3779B97F4A7C15ULL;
        ++records;
    }
    void add(const proto::enrichment_fields& v) {
        add(v.source_address.data, v.source_address.size, v.destination_address.data, v.destination_address.size,
            v.source_as.value_or(0), v.destination_as.value_or(0));
    }

private:
    static uint64_t fold(const uint8_t* p, size_t len) {
        if (len == 4) {
            uint32_t v;
            std::memcpy(&v, p, 4);
            return v;
        }
        if (len != 16) return 0;
        uint64_t w[2];
        std::memcpy(w, p, 16);
        return w[0] + 3 * w[1];
    }
};

// Keeps `v` alive as if read by something the optimiser cannot see.
template <class T>
inline void do_not_optimize(const T& v) {
    asm volatile("" : : "r,m"(v) : "memory");
}

}  // namespace ipfix::perf
