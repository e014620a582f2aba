// What ipfix-monitor shows of one export packet: when, from where, how big, which protocol,
// how many records and templates, and the AS numbers its records carry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ipfix/io/capture_reader.hpp"
#include "ipfix/io/frame_parser.hpp"
#include "ipfix/proto/decoder.hpp"

namespace ipfix::monitor {

struct packet_summary {
    uint64_t frame = 0;                // capture frame number (1-based, as tshark counts)
    uint64_t time_us = 0;              // capture time, microseconds since the epoch
    proto::exporter_endpoint exporter;
    proto::exporter_endpoint destination;
    size_t length = 0;                 // UDP payload bytes
    bool decoded = false;              // false: no usable NetFlow/IPFIX header
    proto::message_header header;
    size_t records = 0;
    size_t templates = 0;              // template records (learnt, refreshed, withdrawn)
    uint32_t unknown_sets = 0;         // data sets whose template is not known (yet)
    uint32_t malformed = 0;
    std::vector<uint64_t> source_as;   // distinct, in the order first seen
    std::vector<uint64_t> destination_as;
};

// Summarises a datagram and what the decoder made of it (`ok`: decode() returned true).
packet_summary summarise(const io::captured_frame& f, const io::udp_datagram& d, bool ok,
                         const proto::decoded_message& m);

struct line_style {
    bool colour = false;     // ANSI colours (a terminal)
    size_t max_as = 6;       // AS numbers shown per direction before "+N"
};

// One line, no newline:
//   2026-11-26T06:20:01.123456Z 192.0.2.1:40000 > 10.0.0.1:2055 1464 B IPFIX dom 1 seq 42 18 rec
//   AS src 15169,13335 dst 3356
std::string text_line(const packet_summary& p, const line_style& style);
// One JSON object, no newline: frame, time, exporter, destination, length, version, domain, sequence,
// records, templates, unknown_sets, malformed, source_as, destination_as.
std::string json_line(const packet_summary& p);

}  // namespace ipfix::monitor
