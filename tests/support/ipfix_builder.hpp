// Hand-built IPFIX messages (RFC 7011), correct by default and broken on request.
//
//   auto msg = ipfix_builder({.sequence = 7, .domain = 1})
//       .template_set().template_record(256, {{8, 4}, {12, 4}})
//       .data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2")
//       .build();
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "set_builder.hpp"

namespace ipfix::test {

struct ipfix_header {
    uint32_t export_time = 1700000000;
    uint32_t sequence = 0;
    uint32_t domain = 0;
};

class ipfix_builder : public set_builder<ipfix_builder> {
public:
    explicit ipfix_builder(ipfix_header h = {});

    // Header faults: another version number, or a length that is not the message's.
    ipfix_builder& version(uint16_t v);
    ipfix_builder& header_length(uint16_t length);

    ipfix_builder& template_set() { return begin_set(2); }
    ipfix_builder& options_template_set() { return begin_set(3); }
    ipfix_builder& data_set(uint16_t template_id) { return begin_set(template_id); }

    // Into the open set. Fields with a PEN get the enterprise bit and the PEN after them.
    ipfix_builder& template_record(uint16_t id, const std::vector<field>& fields);
    ipfix_builder& options_template_record(uint16_t id, uint16_t scope_count, const std::vector<field>& fields);
    // A (options) template withdrawal: the id and a field count of 0. Id 2 / 3 withdraws all.
    ipfix_builder& withdrawal(uint16_t id);

    // Closes the open set and fills in the header length (unless overridden).
    std::vector<uint8_t> build();

private:
    ipfix_builder& specifiers(const std::vector<field>& fields);

    std::optional<uint16_t> length_override_;
};

}  // namespace ipfix::test
