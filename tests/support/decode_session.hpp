// Feeding hand-built messages to a decoder the way the pipeline does (one decoder, one reused
// result), and reading field values without proto's own byte-order helpers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipfix/proto/decoder.hpp"

namespace ipfix::test {

// An exporter; the address is IPv4 or IPv6 text.
proto::exporter_endpoint endpoint(std::string_view address = "192.0.2.1", uint16_t port = 2055);

struct decode_session {
    proto::decoder dec;
    proto::decoded_message msg;
    // The datagram msg's views point into, kept like a receive buffer until the next feed().
    std::vector<uint8_t> datagram;

    explicit decode_session(proto::decoder_config config = {}) : dec(config) {}

    bool feed(std::vector<uint8_t> message, uint64_t now_ms = 0, const proto::exporter_endpoint& from = endpoint()) {
        datagram = std::move(message);
        return dec.decode(from, datagram, now_ms, msg);
    }
    const proto::decode_counters& counters() const { return dec.counters(); }
};

// The malformed reasons counted, as "reason=n" joined by spaces ("" when none): one string
// to assert that exactly the expected reason was counted, and nothing else.
std::string malformed_summary(const proto::decode_counters& c);

// Field i as a big-endian unsigned integer (1..8 bytes; throws otherwise).
uint64_t uint_at(const proto::record_view& r, size_t i);
// Field i's bytes as characters / as bytes.
std::string text_at(const proto::record_view& r, size_t i);
std::vector<uint8_t> bytes_at(const proto::record_view& r, size_t i);

}  // namespace ipfix::test
