// The decoder fuzz harness, shared by the libFuzzer target and the seed replay test.
//
// Input format. First byte 0x00: the rest of the input is raw export payload, as captured
// (the corpus .dat files): messages back to back, split by their own lengths, all from one
// exporter one second apart. Any other first byte: a mode byte (bit 0: a 5-second template
// lifetime; bit 1: bounds of 2 streams and 4 templates), then frames of
//   [control u8][length u16, big-endian][datagram]
// where control bits 0-1 pick one of four exporters and bits 2-7 advance the clock
// (n * 250 ms; 63 jumps 31 minutes, past the default template lifetime).
//
// Every record view is read field by field and through every accessor, decoded templates
// are re-encoded with message_writer and decoded again, and the counters are checked against
// what the messages reported. A broken invariant aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ipfix::fuzz {

void run_decoder_harness(std::span<const uint8_t> input);

}  // namespace ipfix::fuzz
