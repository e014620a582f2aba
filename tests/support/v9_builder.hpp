// Hand-built NetFlow v9 export packets (RFC 3954), correct by default and broken on request.
// The header count is the number of template and data records written (call record() once
// per data record), unless a test sets another.
//
//   auto pkt = v9_builder({.sequence = 3, .source_id = 1})
//       .template_flowset().template_record(256, {{8, 4}, {12, 4}}).align_set(4)
//       .data_flowset(256).record().ipv4("10.0.0.1").ipv4("10.0.0.2").align_set(4)
//       .build();
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "set_builder.hpp"

namespace ipfix::test {

struct v9_header {
    uint32_t sys_uptime_ms = 360000;
    uint32_t export_time = 1700000000;
    uint32_t sequence = 0;
    uint32_t source_id = 0;
};

class v9_builder : public set_builder<v9_builder> {
public:
    explicit v9_builder(v9_header h = {});

    v9_builder& version(uint16_t v);
    // The header count as sent, instead of the records written.
    v9_builder& count(uint16_t c);

    v9_builder& template_flowset() { return begin_set(0); }
    v9_builder& options_template_flowset() { return begin_set(1); }
    v9_builder& data_flowset(uint16_t template_id) { return begin_set(template_id); }

    v9_builder& template_record(uint16_t id, const std::vector<field>& fields);
    // Scope fields carry the v9 scope type as id (1 System, 2 Interface, 3 LineCard, ...).
    v9_builder& options_template_record(uint16_t id, const std::vector<field>& scope,
                                        const std::vector<field>& options);
    // Counts one data record in the header count; write its bytes after.
    v9_builder& record();

    std::vector<uint8_t> build();

private:
    uint16_t records_ = 0;
    std::optional<uint16_t> count_override_;
};

}  // namespace ipfix::test
