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
    size_t operator()(const stream_key& k) const noexcept { return of(k.exporter, k.domain, k.version); }

    // The same from the key's parts, so the decoder hashes the exporter where its caller keeps it
    // and the domain as read from the header: a key it had just written piecewise, loaded back
    // with wide loads, waited for those stores (a store-forwarding stall on every message).
    static size_t of(const exporter_endpoint& exporter, uint32_t domain, protocol_version version) noexcept {
        const uint64_t rest =
            (uint64_t{domain} << 24) ^ (uint64_t{exporter.port} << 8) ^ static_cast<uint64_t>(version);
        const uint64_t h = ip_address_hash{}(exporter.address) ^ rest * 0xFF51AFD7ED558CCDull;
        return static_cast<size_t>(h ^ (h >> 31));
    }
};

}  // namespace ipfix::proto
