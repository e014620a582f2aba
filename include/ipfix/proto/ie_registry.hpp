// Names and abstract data types of information elements, generated at build time from IANA's
// registry (and common enterprises' and NetFlow v9's own field types) shipped as data.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ipfix::proto {

enum class ie_type : uint8_t {
    octet_array, unsigned8, unsigned16, unsigned32, unsigned64, signed8, signed16, signed32,
    signed64, float32, float64, boolean, mac_address, string, date_time_seconds,
    date_time_milliseconds, date_time_microseconds, date_time_nanoseconds, ipv4_address,
    ipv6_address, basic_list, sub_template_list, sub_template_multi_list,
};

struct ie_info {
    uint32_t pen;
    uint16_t id;
    std::string_view name;
    ie_type type;
};

// PEN under which NetFlow v9 field types outside IANA's registry are listed.
inline constexpr uint32_t netflow_v9_pen = 4294967294u;

// The element (pen, id); nullptr when unknown.
const ie_info* find_ie(uint32_t pen, uint16_t id);
// For a v9 field type: IANA's element, else NetFlow v9's own.
const ie_info* find_v9_field(uint16_t id);
const ie_info* find_ie_by_name(std::string_view name);
std::string_view to_string(ie_type t);

}  // namespace ipfix::proto
