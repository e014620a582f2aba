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

// The summary of data record `r` of `msg`, enriched with `v`, seen at `now_ms`.
flow_summary summarize(const proto::decoded_message& msg, const proto::record_view& r,
                       const mediate::record_values& v, uint64_t now_ms);

}  // namespace ipfix::pipeline
