// The frame classifier fuzz harness (the dpdk backend's src/io/eth), shared by the libFuzzer
// target and the replay test. The input is one Ethernet frame as a port receives it; it is
// classified against our addresses (IPv4 and IPv6, UDP port 2055) and every answer is checked:
// a datagram's payload lies inside the frame and its UDP header says its length; an ARP request
// or neighbour solicitation gets a reply that the asker, classifying it in turn, takes as the
// answer from our address and MAC. A broken invariant aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ipfix::fuzz {

void run_frame_harness(std::span<const uint8_t> frame);

}  // namespace ipfix::fuzz
