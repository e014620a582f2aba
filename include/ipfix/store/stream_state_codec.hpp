// The stored form of one stream's output state (mediate::stream_registry): its output domain,
// when it was last sent, and the sequence number of its next message at each collector, the
// collector named by what makes its output (stream_state_collector_name). Stored bytes are
// untrusted: decoding checks every length.
//
//   key   'o' | family (4/6) | address (16) | port (2) | version (9/10) | domain (4)
//   value domain (4) | last sent ms (8) | count (1) | per collector: name length (1) | name | sequence (4)
// Integers big-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/proto/stream_key.hpp"

namespace ipfix::store {

struct stored_stream_state {
    proto::stream_key stream;
    uint32_t domain = 0;
    uint64_t last_ms = 0;
    std::vector<std::pair<std::string, uint32_t>> sequences;  // collector name, next sequence
};

inline constexpr char stream_state_key_tag = 'o';

// Everything that changes what a collector receives: a collector whose name changed starts its
// sequences afresh.
std::string stream_state_collector_name(const config::collector_config& c);

std::string encode_stream_state_key(const proto::stream_key& stream);
// Names longer than 255 bytes are cut, and more than 255 collectors are not stored.
std::string encode_stream_state_value(const stored_stream_state& s);

struct stream_state_decode_result {
    std::optional<stored_stream_state> value;
    std::string error;
};
stream_state_decode_result decode_stream_state(std::string_view key, std::string_view value);

}  // namespace ipfix::store
