// What an address lookup yields: AS number, AS organisation, country.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ipfix::enrich {

// One row of a table's attribute array; rows are shared by every prefix with the same values.
// Index 0 of every table is the all-empty row ("not found").
struct as_attributes {
    uint32_t asn = 0;                 // 0: unknown
    uint32_t org = 0;                 // index into the table's interned organisation names; 0: none
    std::array<char, 2> country{};   // ISO 3166-1 alpha-2; {0, 0}: unknown

    bool has_country() const { return country[0] != 0; }
    std::string_view country_code() const {
        return has_country() ? std::string_view(country.data(), 2) : std::string_view{};
    }
    friend bool operator==(const as_attributes&, const as_attributes&) = default;
};

// A lookup result with the organisation name resolved; the views live as long as the table.
struct as_info {
    bool found = false;      // some database had data for the address
    uint32_t asn = 0;
    std::string_view org;
    std::string_view country;  // two letters or empty
};

}  // namespace ipfix::enrich
