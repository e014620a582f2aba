// Addresses as unsigned integers, most significant bit first: the keys of the prefix tables.
// IPv4 is a uint32_t, IPv6 a 128-bit integer; prefix p/len covers [p, p + 2^(bits-len) - 1].
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

namespace ipfix::enrich {

__extension__ typedef unsigned __int128 u128;

template <class Key>
inline constexpr unsigned key_bits = sizeof(Key) * 8;

// The key with the top `len` bits of `key` kept and the rest cleared.
template <class Key>
constexpr Key prefix_of(Key key, unsigned len) {
    if (len == 0) return 0;
    if (len >= key_bits<Key>) return key;
    return static_cast<Key>(key & ~((Key{1} << (key_bits<Key> - len)) - 1));
}

// The last address of prefix key/len.
template <class Key>
constexpr Key prefix_last(Key key, unsigned len) {
    if (len == 0) return std::numeric_limits<Key>::max();
    if (len >= key_bits<Key>) return key;
    return static_cast<Key>(prefix_of(key, len) | ((Key{1} << (key_bits<Key> - len)) - 1));
}

inline uint32_t v4_key(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

inline u128 v6_key(const uint8_t* p) {
    uint64_t hi, lo;
    std::memcpy(&hi, p, 8);
    std::memcpy(&lo, p + 8, 8);
    return (u128{__builtin_bswap64(hi)} << 64) | __builtin_bswap64(lo);
}

inline void v6_bytes(u128 key, uint8_t* out) {
    for (int i = 15; i >= 0; --i) {
        out[i] = static_cast<uint8_t>(key);
        key >>= 8;
    }
}

// ::ffff:0:0/96, where an IPv6 socket or exporter puts an IPv4 address.
inline bool is_v4_mapped(const uint8_t* p) {
    static constexpr uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(p, mapped, 12) == 0;
}

}  // namespace ipfix::enrich
