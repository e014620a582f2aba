// Ethernet frames around a capture's UDP payloads, for a benchmark that plays the wire in front
// of an ethdev port: each datagram becomes an Ethernet/IPv4 or IPv6/UDP frame (checksums right)
// from its exporter's own address to our address and listen port, with the records the
// daemon's decoder counts in it. No DPDK here.
//
//   frame_input in = build_frames(capture, {our_v4, our_v6, 2055, exporter_mac});
//   in.set_destination(port_mac);
//   auto per_queue = spread_over_queues(in, 2, load);   // frame indexes per RX queue
#pragma once

#include <cstdint>
#include <vector>

#include "ipfix/io/eth/frame.hpp"
#include "ipfix/proto/ip_address.hpp"
#include "pcap_payloads.hpp"

namespace ipfix::perf {

struct feed_frame {
    size_t offset = 0;  // into frame_input::bytes
    uint16_t length = 0;
    uint32_t records_first = 0;  // records in it the first time its exporter's stream passes
    uint32_t records_again = 0;  // on every later pass (the decoder knows the templates then)
    size_t exporter = 0;         // index into frame_input::exporters
};

struct frame_input {
    std::vector<uint8_t> bytes;
    std::vector<feed_frame> frames;             // capture order
    std::vector<proto::ip_address> exporters;   // distinct source addresses
    std::vector<uint64_t> exporter_records;     // per pass (templates known)
    uint64_t records_per_pass = 0;

    // Writes `mac` as every frame's destination.
    void set_destination(const io::eth::mac_address& mac);
};

struct frame_addressing {
    proto::ip_address ipv4;  // our address for IPv4 exporters
    proto::ip_address ipv6;  // and for IPv6 ones
    uint16_t listen_port = 0;
    io::eth::mac_address exporter_mac{};
};

// Throws std::runtime_error when a payload does not fit a frame.
frame_input build_frames(const datagram_set& capture, const frame_addressing& a);

// Each exporter onto one of `queues` RX queues, as RSS on the source address would keep it,
// balanced by records (greedy, biggest first); returns the frame indexes per queue in capture
// order and each queue's records per pass in `load`.
std::vector<std::vector<size_t>> spread_over_queues(const frame_input& in, unsigned queues, std::vector<uint64_t>& load);

}  // namespace ipfix::perf
