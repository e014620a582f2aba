// What each field of a record is called in the output: the registry's name (IANA for IPFIX,
// the v9 field type table for NetFlow v9, scopeSystem.. for v9 scopes), "PEN/ID" when unknown,
// and which occurrence of that name in the record it is (the second is printed "name#2").
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ipfix/proto/ie_registry.hpp"
#include "ipfix/proto/template_def.hpp"

namespace ipfix::dump {

enum class value_kind : uint8_t { typed, scope, unknown };

struct field_label {
    value_kind kind = value_kind::unknown;
    const proto::ie_info* info = nullptr;  // set when kind == typed
    std::string_view fixed;                // a name with static storage, else empty
    std::array<char, 24> own{};            // "PEN/ID" of an unknown element
    uint8_t own_size = 0;
    uint16_t occurrence = 1;

    std::string_view name() const { return fixed.empty() ? std::string_view(own.data(), own_size) : fixed; }
};

// Labels the fields of `t` into `out` (resized to the field count).
void label_fields(const proto::template_def& t, std::vector<field_label>& out);

}  // namespace ipfix::dump
