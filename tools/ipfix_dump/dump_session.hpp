// One run of ipfix-dump: a single decoder fed by every capture (or the live socket) in turn,
// so templates sent in one file serve data in the next; records printed in order; counters
// for the summary.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "ipfix/io/capture_reader.hpp"
#include "ipfix/io/frame_parser.hpp"
#include "ipfix/proto/decoder.hpp"
#include "record_printer.hpp"

namespace ipfix::dump {

using io::captured_frame;
using io::skip_reason;
using io::skip_reason_count;

struct session_options {
    bool json = false;
    bool frame_numbers = false;     // prefix each record with its capture frame number
    std::vector<uint16_t> ports;    // UDP destination ports taken from captures
};

struct capture_counters {
    uint64_t packets = 0;                 // frames read from captures, datagrams received live
    uint64_t payloads = 0;                // UDP payloads given to the decoder
    uint64_t partial_first_fragments = 0; // decoded although more fragments follow
    std::array<uint64_t, skip_reason_count> skipped{};
};

class dump_session {
public:
    dump_session(session_options options, std::FILE* out);
    ~dump_session();

    // A frame from a capture with the given link type.
    void feed_frame(int link_type, const captured_frame& frame);
    // A UDP payload (from a capture or a socket).
    void feed_datagram(const proto::exporter_endpoint& from, std::span<const uint8_t> payload, uint64_t now_ms,
                       std::optional<uint64_t> frame_number);
    // A datagram received live (captures count their frames in feed_frame).
    void count_received() { ++counters_.packets; }
    // Writes buffered output; call before reporting and when idle.
    void flush();
    // The counters, human-readable, one per line.
    void print_summary(std::FILE* to) const;

    bool wants_port(uint16_t port) const;

private:
    session_options options_;
    std::FILE* out_;
    proto::decoder decoder_;
    proto::decoded_message message_;
    std::unique_ptr<record_printer> printer_;
    message_context context_;
    fmt::memory_buffer buffer_;
    capture_counters counters_;
};

}  // namespace ipfix::dump
