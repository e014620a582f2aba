// Big-endian (network order) loads and stores on raw bytes. Callers check bounds first:
// these never do, so the data path pays for one check per set or record, not per field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ipfix::proto {

inline uint16_t load_be16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t load_be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

inline uint64_t load_be64(const uint8_t* p) {
    return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

// An unsigned integer of 1..8 bytes: reduced-size encoding (RFC 7011 §6.2) keeps the
// low-order bytes, so any length decodes to the same value. Lengths over 8 give 0.
inline uint64_t load_uint(const uint8_t* p, size_t len) {
    switch (len) {
        case 1: return p[0];
        case 2: return load_be16(p);
        case 4: return load_be32(p);
        case 8: return load_be64(p);
        default: break;
    }
    if (len > 8) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; ++i) v = (v << 8) | p[i];
    return v;
}

inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

inline void store_be32(uint8_t* p, uint32_t v) {
    store_be16(p, static_cast<uint16_t>(v >> 16));
    store_be16(p + 2, static_cast<uint16_t>(v));
}

inline void store_be64(uint8_t* p, uint64_t v) {
    store_be32(p, static_cast<uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<uint32_t>(v));
}

// Writes the low-order `len` bytes of v (1..8), the reduced-size counterpart of load_uint.
inline void store_uint(uint8_t* p, size_t len, uint64_t v) {
    for (size_t i = len; i-- > 0;) {
        p[i] = static_cast<uint8_t>(v);
        v >>= 8;
    }
}

}  // namespace ipfix::proto
