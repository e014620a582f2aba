// One enriched data record reduced to the fields operators search and watch (the tail stream,
// the retention store): plain data, copied out of the worker so no view outlives its datagram.
#pragma once

#include <array>
#include <cstdint>

#include "ipfix/mediate/added_fields.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/record_view.hpp"

namespace ipfix::pipeline {

struct flow_summary {
    uint64_t seen_ms = 0;  // wall clock when the worker processed it
    uint64_t flow_start_ms = 0, flow_end_ms = 0;  // from the record (epoch ms); 0 when absent
    proto::ip_address exporter;
    uint16_t exporter_port = 0;
    uint8_t version = 0;  // 5, 9 or 10
    uint32_t domain = 0;
    uint16_t template_id = 0;
    proto::ip_address source, destination;  // family 0 when absent
    uint16_t source_port = 0, destination_port = 0;
    uint8_t protocol = 0;
    uint32_t source_as = 0, destination_as = 0;  // as forwarded, after enrichment (0: unknown)
    bool source_as_filled = false, destination_as_filled = false;  // we wrote it
    std::array<char, 2> source_country{}, destination_country{};   // {0,0}: none
    uint64_t bytes = 0, packets = 0;
    uint32_t input_interface = 0, output_interface = 0;
};

// Where summarize() finds each field in a record: the same for every record of a fixed-length
// template, so a consumer that reads many (the retention encoder) looks them up once per set.
// A length of 0: absent or of no usable size (an address not 4 or 16 bytes, an integer over 8).
struct summary_layout {
    proto::field_loc source, destination;
    proto::field_loc source_port, destination_port, protocol, source_as, destination_as;
    proto::field_loc octets, packets, input_interface, output_interface;
    // A flow time from the first present of milliseconds, seconds, uptime (v5, v9 only).
    proto::field_loc start_ms, start_s, start_uptime, end_ms, end_s, end_uptime;
};

summary_layout layout_of(const proto::record_view& r);

// The integer at `l` in `r`; 0 when absent.
inline uint64_t value_at(const proto::record_view& r, proto::field_loc l) {
    return proto::load_uint(r.data + l.offset, l.length);
}

// The address at `l` in `r`: IPv4 at 4 bytes, IPv6 at 16, else empty (family 0).
inline proto::ip_address address_value(const proto::record_view& r, proto::field_loc l) {
    return proto::ip_address::of_size(r.data + l.offset, l.length);
}

// The AS number as forwarded: the looked-up one when enrichment wrote it or the record has none.
inline uint32_t forwarded_as(const proto::record_view& r, proto::field_loc in_record, bool written,
                             uint32_t looked_up) {
    if (written || in_record.length == 0) return looked_up;
    return static_cast<uint32_t>(value_at(r, in_record));
}

// Which field a flow time is read from: the first present of milliseconds, seconds and, in v5
// and v9, uptime. The retention store keeps these numbers on disk: never renumber them.
enum class time_source : uint8_t { none = 0, ms = 1, s = 2, uptime = 3 };

inline time_source time_source_of(proto::field_loc ms, proto::field_loc s, proto::field_loc uptime,
                                  proto::protocol_version v) {
    if (ms.length != 0) return time_source::ms;
    if (s.length != 0) return time_source::s;
    if (v != proto::protocol_version::ipfix && uptime.length != 0) return time_source::uptime;  // none in IPFIX
    return time_source::none;
}

// A flow time in epoch milliseconds, 0 when absent; uptime-relative ones placed against the
// header's export time: export_time - (uptime - t). Inline: the retention codec reads two a record.
inline uint64_t flow_time(const proto::record_view& r, const proto::message_header& h, proto::field_loc ms,
                          proto::field_loc s, proto::field_loc uptime) {
    switch (time_source_of(ms, s, uptime, h.version)) {
        case time_source::ms: return value_at(r, ms);
        case time_source::s: return value_at(r, s) * 1000;
        case time_source::uptime: {
            const uint32_t age = h.sys_uptime_ms - static_cast<uint32_t>(value_at(r, uptime));  // wraps with the counter
            const uint64_t exported = uint64_t{h.export_time} * 1000;
            return exported >= age ? exported - age : 0;
        }
        case time_source::none: break;
    }
    return 0;
}

inline uint64_t flow_start_ms(const proto::record_view& r, const summary_layout& l, const proto::message_header& h) {
    return flow_time(r, h, l.start_ms, l.start_s, l.start_uptime);
}

inline uint64_t flow_end_ms(const proto::record_view& r, const summary_layout& l, const proto::message_header& h) {
    return flow_time(r, h, l.end_ms, l.end_s, l.end_uptime);
}

// The summary of data record `r` of `msg`, enriched with `v`, seen at `now_ms`.
flow_summary summarize(const proto::decoded_message& msg, const proto::record_view& r,
                       const mediate::record_values& v, uint64_t now_ms);

}  // namespace ipfix::pipeline
