#include "ipfix/proto/stream_key.hpp"

namespace ipfix::proto {

size_t stream_key_hash::operator()(const stream_key& k) const noexcept {
    const uint64_t rest = (uint64_t{k.domain} << 24) ^ (uint64_t{k.exporter.port} << 8) ^ static_cast<uint64_t>(k.version);
    const uint64_t h = ip_address_hash{}(k.exporter.address) ^ rest * 0xFF51AFD7ED558CCDull;
    return static_cast<size_t>(h ^ (h >> 31));
}

}  // namespace ipfix::proto
