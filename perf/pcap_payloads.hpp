// The UDP payloads of a pcap, held in memory with the sender of each, so a benchmark can
// replay them without touching the file system. IPv4 and IPv6 over Ethernet (VLAN tags
// skipped), raw IP or Linux cooked captures; fragments and other traffic are skipped.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipfix/proto/stream_key.hpp"

namespace ipfix::perf {

struct datagram {
    proto::exporter_endpoint from;
    uint64_t time_ms = 0;
    size_t offset = 0;  // into datagram_set::bytes
    size_t length = 0;
};

struct datagram_set {
    std::vector<uint8_t> bytes;
    std::vector<datagram> datagrams;

    std::span<uint8_t> payload(const datagram& d) { return {bytes.data() + d.offset, d.length}; }
    std::span<const uint8_t> payload(const datagram& d) const { return {bytes.data() + d.offset, d.length}; }
};

// Reads every UDP datagram sent to `port` (0: any). Throws std::runtime_error when the file
// cannot be read as a pcap.
datagram_set load_udp_payloads(const std::string& path, uint16_t port);

}  // namespace ipfix::perf
