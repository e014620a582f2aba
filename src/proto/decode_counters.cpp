#include "ipfix/proto/decode_counters.hpp"

namespace ipfix::proto {

std::string_view to_string(malformed m) {
    switch (m) {
        case malformed::truncated_header: return "truncated_header";
        case malformed::unsupported_version: return "unsupported_version";
        case malformed::length_mismatch: return "length_mismatch";
        case malformed::set_too_short: return "set_too_short";
        case malformed::set_past_message: return "set_past_message";
        case malformed::template_truncated: return "template_truncated";
        case malformed::template_zero_fields: return "template_zero_fields";
        case malformed::template_id_reserved: return "template_id_reserved";
        case malformed::field_length_zero: return "field_length_zero";
        case malformed::template_too_long: return "template_too_long";
        case malformed::options_scope_invalid: return "options_scope_invalid";
        case malformed::withdrawal_invalid: return "withdrawal_invalid";
        case malformed::unknown_template: return "unknown_template";
        case malformed::record_past_set: return "record_past_set";
        case malformed::v5_truncated: return "v5_truncated";
        case malformed::data_set_id_reserved: return "data_set_id_reserved";
        case malformed::count_: break;
    }
    return "unknown";
}

decode_counters& decode_counters::operator+=(const decode_counters& o) {
    messages += o.messages;
    messages_ok += o.messages_ok;
    records += o.records;
    options_records += o.options_records;
    templates_learned += o.templates_learned;
    templates_refreshed += o.templates_refreshed;
    templates_redefined += o.templates_redefined;
    templates_withdrawn += o.templates_withdrawn;
    templates_expired += o.templates_expired;
    templates_evicted += o.templates_evicted;
    streams_evicted += o.streams_evicted;
    sequence_gaps += o.sequence_gaps;
    sequence_lost += o.sequence_lost;
    sequence_reordered += o.sequence_reordered;
    padding_bytes += o.padding_bytes;
    for (size_t i = 0; i < malformed_count; ++i) malformed_by_reason[i] += o.malformed_by_reason[i];
    return *this;
}

}  // namespace ipfix::proto
