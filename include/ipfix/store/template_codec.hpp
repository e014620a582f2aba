// The template store's key/value encoding (format 1), apart from RocksDB so it can be tested
// and fuzzed alone. Stored bytes are untrusted input: decoding checks every length and value and
// refuses what the decoder itself would not have learnt.
//
//   key   't' | family (4/6) | address (16) | port (2) | version (9/10) | domain (4) | id (2)
//   value flags (bit 0: options) | scope count (2) | field count (2) | last seen ms (8)
//         | per field: element id (2) | length (2) | enterprise number (4)
// Integers big-endian; the key sorts by stream, so a stream's templates are one key range.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/proto/field.hpp"
#include "ipfix/proto/stream_key.hpp"
#include "ipfix/proto/template_def.hpp"

namespace ipfix::store {

// What the store keeps of one template: enough to rebuild its definition exactly.
struct stored_template {
    proto::stream_key stream;
    uint16_t id = 0;
    bool options = false;
    uint16_t scope_count = 0;
    std::vector<proto::field_spec> fields;
    uint64_t last_seen_ms = 0;
};

inline constexpr std::string_view format_key = "meta/format";
inline constexpr std::string_view format_value = "ipfix-enricher template store 1";
inline constexpr char template_key_tag = 't';
inline constexpr size_t template_key_size = 27;
inline constexpr size_t stream_prefix_size = 25;  // the key without the template id

stored_template from_def(const proto::stream_key& stream, const proto::template_def& def, uint64_t last_seen_ms);

// The definition as the decoder would have built it from the wire, wire bytes included (so a
// re-sent template reads as a refresh). Null when `t` could not have been learnt.
std::shared_ptr<const proto::template_def> to_def(const stored_template& t);

std::string encode_key(const proto::stream_key& stream, uint16_t id);
// The first stream_prefix_size bytes of every key of `stream`.
std::string encode_stream_prefix(const proto::stream_key& stream);
std::string encode_value(const stored_template& t);
// Reads the stream from the first stream_prefix_size bytes of a key (its tag byte unchecked).
// An empty string, or what is wrong.
std::string decode_stream_prefix(std::string_view prefix, proto::stream_key& stream);

// Null with a reason when the bytes are not a valid key / value of this format.
struct decode_result {
    std::optional<stored_template> value;
    std::string error;
};
decode_result decode(std::string_view key, std::string_view value);

}  // namespace ipfix::store
