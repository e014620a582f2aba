// Renders one field value as a JSON value, by the element's abstract data type (RFC 7011 §6.1):
// integers of any encoded size 1..8 as numbers, addresses as text, MACs as aa:bb:.., strings
// (trailing NULs trimmed, bytes that are not UTF-8 escaped as \u00XX), booleans, floats, and
// date-times as the integer on the wire. Anything else, and any value whose length does not
// fit its type, is a lowercase hex string.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "field_labels.hpp"

namespace ipfix::dump {

void render_value(const field_label& label, std::span<const uint8_t> value, fmt::memory_buffer& out);

// Appends `text` as a JSON string (quoted and escaped).
void render_json_string(std::string_view text, fmt::memory_buffer& out);
void render_json_string(std::span<const uint8_t> bytes, fmt::memory_buffer& out);

}  // namespace ipfix::dump
