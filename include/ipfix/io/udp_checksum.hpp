// The Internet checksum (RFC 1071) and the UDP checksum over the IPv4 or IPv6 pseudo-header
// (RFC 768, RFC 8200 §8.1). Pure functions on byte spans, for senders that build their own
// headers (raw sockets, DPDK).
#pragma once

#include <cstdint>
#include <span>

#include "ipfix/proto/ip_address.hpp"

namespace ipfix::io {

// One's-complement sum of `bytes` read as big-endian 16-bit words (an odd last byte is padded
// with zero), added to `sum` and folded to 16 bits; not inverted. Chain calls to sum pieces
// that each have an even length.
uint16_t ones_complement_sum(std::span<const uint8_t> bytes, uint16_t sum = 0);

// The checksum field value for a header whose checksum field is zero: the inverted sum.
// An IPv4 header gives its header checksum this way.
inline uint16_t internet_checksum(std::span<const uint8_t> bytes) {
    return static_cast<uint16_t>(~ones_complement_sum(bytes));
}

// The UDP checksum field for a datagram of `payload` between these endpoints, the UDP
// length being 8 + payload.size(). Both addresses are of one family (4 or 6). Never 0: a
// computed 0 is sent as 0xFFFF, since 0 means "no checksum" in IPv4 and is invalid in IPv6.
uint16_t udp_checksum(const proto::ip_address& source, uint16_t source_port,
                      const proto::ip_address& destination, uint16_t destination_port,
                      std::span<const uint8_t> payload);

}  // namespace ipfix::io
