// How ipfix-tail shows one line of the tail stream: a record as one readable line (time,
// exporter, protocol, endpoints, AS numbers, countries, volume), a {"dropped":N} notice as a
// warning. With colour: AS numbers we filled in green, AS 0 (not found) in red, notices in
// yellow, anything not understood in red.
#pragma once

#include <string>
#include <string_view>

namespace ipfix::tail {

struct text_style {
    bool colour = false;
    bool utc = false;  // times in UTC rather than local time
};

// The stream's JSON line as a text line (without the line end).
std::string record_text(std::string_view json_line, const text_style& style);

// The protocol's name where it has a common one ("tcp"), else its number.
std::string protocol_name(unsigned protocol);

}  // namespace ipfix::tail
