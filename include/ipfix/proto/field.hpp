// A template field specifier (RFC 7011 §3.2, RFC 3954 §5.2) and the IANA element ids the
// rest of the product reads by name.
#pragma once

#include <cstdint>

namespace ipfix::proto {

inline constexpr uint16_t variable_length = 0xFFFF;

struct field_spec {
    uint16_t id = 0;          // without the enterprise bit
    uint16_t length = 0;      // encoded length, or variable_length
    uint32_t pen = 0;         // 0 for IANA elements
    bool is_scope = false;    // options template scope field

    friend bool operator==(const field_spec&, const field_spec&) = default;
};

// Information element ids (IANA registry) used by name in code.
namespace ie {
inline constexpr uint16_t octet_delta_count = 1;
inline constexpr uint16_t packet_delta_count = 2;
inline constexpr uint16_t protocol_identifier = 4;
inline constexpr uint16_t ip_class_of_service = 5;
inline constexpr uint16_t tcp_control_bits = 6;
inline constexpr uint16_t source_transport_port = 7;
inline constexpr uint16_t source_ipv4_address = 8;
inline constexpr uint16_t source_ipv4_prefix_length = 9;
inline constexpr uint16_t ingress_interface = 10;
inline constexpr uint16_t destination_transport_port = 11;
inline constexpr uint16_t destination_ipv4_address = 12;
inline constexpr uint16_t destination_ipv4_prefix_length = 13;
inline constexpr uint16_t egress_interface = 14;
inline constexpr uint16_t ip_next_hop_ipv4_address = 15;
inline constexpr uint16_t bgp_source_as_number = 16;
inline constexpr uint16_t bgp_destination_as_number = 17;
inline constexpr uint16_t bgp_next_hop_ipv4_address = 18;
inline constexpr uint16_t flow_end_sys_up_time = 21;
inline constexpr uint16_t flow_start_sys_up_time = 22;
inline constexpr uint16_t octet_total_count = 85;
inline constexpr uint16_t packet_total_count = 86;
inline constexpr uint16_t source_ipv6_address = 27;
inline constexpr uint16_t destination_ipv6_address = 28;
inline constexpr uint16_t ip_next_hop_ipv6_address = 62;
inline constexpr uint16_t bgp_next_hop_ipv6_address = 63;
inline constexpr uint16_t padding_octets = 210;
inline constexpr uint16_t flow_start_seconds = 150;
inline constexpr uint16_t flow_end_seconds = 151;
inline constexpr uint16_t flow_start_milliseconds = 152;
inline constexpr uint16_t flow_end_milliseconds = 153;
inline constexpr uint16_t original_exporter_ipv4_address = 403;
inline constexpr uint16_t original_exporter_ipv6_address = 404;
inline constexpr uint16_t original_observation_domain_id = 405;
}  // namespace ie

}  // namespace ipfix::proto
