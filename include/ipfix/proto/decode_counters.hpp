// What the decoder saw: every message, record and template event, and every malformed input
// by reason. Plain integers: each decoder belongs to one thread; readers sum copies.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ipfix::proto {

enum class malformed : uint8_t {
    truncated_header,         // shorter than the version's message header
    unsupported_version,      // not 5, 9 or 10
    length_mismatch,          // IPFIX header length differs from the datagram
    set_too_short,            // set/flowset header or length under 4
    set_past_message,         // set length runs past the end of the message
    template_truncated,       // template record runs past its set
    template_zero_fields,     // template with a field count of 0 (other than a withdrawal)
    template_id_reserved,     // template id under 256
    field_length_zero,        // a template whose fields are all of length 0: records of no bytes
    template_too_long,        // fixed record length over 65535
    options_scope_invalid,    // options template with no scope, or scope past the fields
    withdrawal_invalid,       // withdrawal that is not a bare template id
    unknown_template,         // data set for a template this stream has not sent (or expired)
    record_past_set,          // variable-length field runs past its set
    v5_truncated,             // v5 count promises more records than the datagram holds
    data_set_id_reserved,     // set id 4..255 (reserved)
    count_
};
inline constexpr size_t malformed_count = static_cast<size_t>(malformed::count_);

std::string_view to_string(malformed m);

struct decode_counters {
    uint64_t messages = 0;             // datagrams offered to decode()
    uint64_t messages_ok = 0;          // decoded without any malformed count
    uint64_t records = 0;              // data records produced (options included)
    uint64_t options_records = 0;
    uint64_t templates_learned = 0;    // new template ids
    uint64_t templates_refreshed = 0;  // same definition again
    uint64_t templates_redefined = 0;  // same id, new definition
    uint64_t templates_withdrawn = 0;
    uint64_t templates_expired = 0;
    uint64_t templates_evicted = 0;    // over the template bound
    uint64_t streams_evicted = 0;      // over the stream bound
    uint64_t sequence_gaps = 0;        // times a gap was seen
    uint64_t sequence_lost = 0;        // units (records / packets / flows) missing in gaps
    uint64_t sequence_reordered = 0;   // messages that arrived behind the expected number
    uint64_t padding_bytes = 0;        // set padding skipped
    std::array<uint64_t, malformed_count> malformed_by_reason{};

    uint64_t& operator[](malformed m) { return malformed_by_reason[static_cast<size_t>(m)]; }
    uint64_t operator[](malformed m) const { return malformed_by_reason[static_cast<size_t>(m)]; }
    uint64_t malformed_total() const {
        uint64_t n = 0;
        for (uint64_t v : malformed_by_reason) n += v;
        return n;
    }
    decode_counters& operator+=(const decode_counters& o);
};

}  // namespace ipfix::proto
