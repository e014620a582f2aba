// One template and sequence-number scope: an exporter's address and port, the protocol
// version, and the observation domain (IPFIX), source id (v9) or engine type/id (v5).
#pragma once

#include <cstdint>
#include <functional>

#include "ipfix/proto/ip_address.hpp"
#include "ipfix/proto/template_def.hpp"

namespace ipfix::proto {

struct exporter_endpoint {
    ip_address address;
    uint16_t port = 0;
    friend bool operator==(const exporter_endpoint&, const exporter_endpoint&) = default;
};

struct stream_key {
    exporter_endpoint exporter;
    uint32_t domain = 0;
    protocol_version version = protocol_version::ipfix;
    friend bool operator==(const stream_key&, const stream_key&) = default;
};

struct stream_key_hash {
    size_t operator()(const stream_key& k) const noexcept {
        const uint64_t rest =
            (uint64_t{k.domain} << 24) ^ (uint64_t{k.exporter.port} << 8) ^ static_cast<uint64_t>(k.version);
        const uint64_t h = ip_address_hash{}(k.exporter.address) ^ rest * 0xFF51AFD7ED558CCDull;
        return static_cast<size_t>(h ^ (h >> 31));
    }
};

}  // namespace ipfix::proto
