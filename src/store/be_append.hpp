// Big-endian integers appended to a RocksDB key or value being built: the store's byte order,
// so that keys sort by their numbers.
#pragma once

#include <cstdint>
#include <string>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::store {

inline void append_be16(std::string& out, uint16_t v) {
    uint8_t b[2];
    proto::store_be16(b, v);
    out.append(reinterpret_cast<const char*>(b), sizeof b);
}

inline void append_be32(std::string& out, uint32_t v) {
    uint8_t b[4];
    proto::store_be32(b, v);
    out.append(reinterpret_cast<const char*>(b), sizeof b);
}

inline void append_be64(std::string& out, uint64_t v) {
    uint8_t b[8];
    proto::store_be64(b, v);
    out.append(reinterpret_cast<const char*>(b), sizeof b);
}

}  // namespace ipfix::store
