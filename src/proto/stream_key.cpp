#include "ipfix/proto/stream_key.hpp"

namespace ipfix::proto {

size_t stream_key_hash::operator()(const stream_key& k) const noexcept {
    size_t h = ip_address_hash{}(k.exporter.address);
    h ^= (size_t{k.exporter.port} << 1) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= (size_t{k.domain} * 0xff51afd7ed558ccdull) + (h << 6) + (h >> 2);
    h ^= static_cast<size_t>(k.version);
    return h;
}

}  // namespace ipfix::proto
