// What mediation adds to the records of one exporter stream, and the values enrichment found
// for one record. The field set is fixed per stream (it shapes the output template); the values
// change per record.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ipfix::mediate {

struct added_fields {
    bool source_as = false;        // add bgpSourceAsNumber (16) where the template lacks it
    bool destination_as = false;   // add bgpDestinationAsNumber (17) where the template lacks it
    // Enterprise elements for AS names and countries (variable-length / 2-byte strings);
    // all off while names_pen is 0.
    uint32_t names_pen = 0;
    uint16_t source_as_name_id = 0;
    uint16_t destination_as_name_id = 0;
    uint16_t source_country_id = 0;
    uint16_t destination_country_id = 0;
    // RFC 7119: originalExporterIPv4/IPv6Address and originalObservationDomainId, for when we
    // re-export under our own address.
    bool original_exporter = false;

    bool names() const { return names_pen != 0 && (source_as_name_id || destination_as_name_id); }
    bool countries() const { return names_pen != 0 && (source_country_id || destination_country_id); }
    friend bool operator==(const added_fields&, const added_fields&) = default;
};

// The enrichment of one record. `write_*` says whether the AS goes into a field the template
// already has (bad value or override); an added field is always written (0 when not found).
struct record_values {
    uint32_t source_as = 0;
    uint32_t destination_as = 0;
    bool write_source_as = false;
    bool write_destination_as = false;
    std::string_view source_as_name;
    std::string_view destination_as_name;
    std::array<char, 2> source_country{};
    std::array<char, 2> destination_country{};
};

// RFC 6793: an AS number that does not fit a 2-byte field is sent as AS_TRANS.
inline constexpr uint32_t as_trans = 23456;

}  // namespace ipfix::mediate
