// Information element names and types: IANA, enterprises (PEN) and NetFlow v9's own field types.
#include <catch2/catch.hpp>

#include <string>

#include "ipfix/proto/field.hpp"
#include "ipfix/proto/ie_registry.hpp"

using namespace ipfix;
using proto::find_ie;
using proto::find_v9_field;
using proto::ie_type;

TEST_CASE("ie registry: IANA elements by (0, id)", "[ie]") {
    struct expect {
        uint16_t id;
        const char* name;
        ie_type type;
    };
    const expect table[] = {
        {1, "octetDeltaCount", ie_type::unsigned64},
        {2, "packetDeltaCount", ie_type::unsigned64},
        {4, "protocolIdentifier", ie_type::unsigned8},
        {8, "sourceIPv4Address", ie_type::ipv4_address},
        {10, "ingressInterface", ie_type::unsigned32},
        {12, "destinationIPv4Address", ie_type::ipv4_address},
        {15, "ipNextHopIPv4Address", ie_type::ipv4_address},
        {16, "bgpSourceAsNumber", ie_type::unsigned32},
        {17, "bgpDestinationAsNumber", ie_type::unsigned32},
        {18, "bgpNextHopIPv4Address", ie_type::ipv4_address},
        {27, "sourceIPv6Address", ie_type::ipv6_address},
        {28, "destinationIPv6Address", ie_type::ipv6_address},
        {62, "ipNextHopIPv6Address", ie_type::ipv6_address},
        {63, "bgpNextHopIPv6Address", ie_type::ipv6_address},
        {82, "interfaceName", ie_type::string},
        {152, "flowStartMilliseconds", ie_type::date_time_milliseconds},
        {153, "flowEndMilliseconds", ie_type::date_time_milliseconds},
        {210, "paddingOctets", ie_type::octet_array},
    };
    for (const expect& e : table) {
        INFO("id " << e.id);
        const proto::ie_info* info = find_ie(0, e.id);
        REQUIRE(info != nullptr);
        CHECK(info->pen == 0u);
        CHECK(info->id == e.id);
        CHECK(std::string(info->name) == e.name);
        CHECK(info->type == e.type);
    }
}

TEST_CASE("ie registry: the ids the code reads by name have the right types", "[ie]") {
    namespace ie = proto::ie;
    for (uint16_t id : {ie::source_ipv4_address, ie::destination_ipv4_address, ie::ip_next_hop_ipv4_address,
                        ie::bgp_next_hop_ipv4_address, ie::original_exporter_ipv4_address}) {
        REQUIRE(find_ie(0, id) != nullptr);
        CHECK(find_ie(0, id)->type == ie_type::ipv4_address);
    }
    for (uint16_t id : {ie::source_ipv6_address, ie::destination_ipv6_address, ie::ip_next_hop_ipv6_address,
                        ie::bgp_next_hop_ipv6_address, ie::original_exporter_ipv6_address}) {
        REQUIRE(find_ie(0, id) != nullptr);
        CHECK(find_ie(0, id)->type == ie_type::ipv6_address);
    }
    CHECK(find_ie(0, ie::original_observation_domain_id)->type == ie_type::unsigned32);
    CHECK(find_ie(0, ie::flow_start_seconds)->type == ie_type::date_time_seconds);
}

TEST_CASE("ie registry: enterprise elements", "[ie]") {
    const proto::ie_info* cert = find_ie(6871, 14);
    REQUIRE(cert != nullptr);
    CHECK(cert->pen == 6871u);
    CHECK(std::string(cert->name) == "initialTCPFlags");
    CHECK(cert->type == ie_type::unsigned16);
    const proto::ie_info* payload = find_ie(6871, 18);
    REQUIRE(payload != nullptr);
    CHECK(std::string(payload->name) == "payload");
    CHECK(payload->type == ie_type::octet_array);
    // The same id under IANA is another element.
    CHECK(std::string(find_ie(0, 14)->name) == "egressInterface");
    CHECK(find_ie(6871, 0x7FFF) == nullptr);
    CHECK(find_ie(12345, 1) == nullptr);
}

TEST_CASE("ie registry: unknown ids", "[ie]") {
    CHECK(find_ie(0, 0) == nullptr);
    CHECK(find_ie(0, 0x7FFF) == nullptr);
    CHECK(find_v9_field(0) == nullptr);
    CHECK(find_v9_field(0xFFFF) == nullptr);
}

TEST_CASE("ie registry: v9 field types, IANA's first and v9's own after", "[ie][v9]") {
    const proto::ie_info* as = find_v9_field(16);
    REQUIRE(as != nullptr);
    CHECK(as->pen == 0u);
    CHECK(std::string(as->name) == "bgpSourceAsNumber");
    // Not in IANA's registry: listed under NetFlow v9's own PEN.
    const proto::ie_info* own = find_v9_field(6660);
    REQUIRE(own != nullptr);
    CHECK(own->pen == proto::netflow_v9_pen);
    CHECK(own->id == 6660);
    CHECK(std::string(own->name) == "EkinopsTcpConnectionSetupTime");
    CHECK(own->type == ie_type::unsigned32);
    CHECK(find_ie(0, 6660) == nullptr);
    CHECK(find_ie(proto::netflow_v9_pen, 6660) == own);
}

TEST_CASE("ie registry: lookup by name", "[ie]") {
    const proto::ie_info* e = proto::find_ie_by_name("bgpDestinationAsNumber");
    REQUIRE(e != nullptr);
    CHECK(e->pen == 0u);
    CHECK(e->id == 17);
    CHECK(proto::find_ie_by_name("initialTCPFlags") == find_ie(6871, 14));
    CHECK(proto::find_ie_by_name("noSuchElement") == nullptr);
    CHECK(proto::find_ie_by_name("") == nullptr);
}

TEST_CASE("ie registry: type names", "[ie]") {
    CHECK(proto::to_string(ie_type::unsigned32) == "unsigned32");
    CHECK(proto::to_string(ie_type::ipv6_address) == "ipv6Address");
    CHECK(proto::to_string(ie_type::date_time_milliseconds) == "dateTimeMilliseconds");
    CHECK(proto::to_string(ie_type::sub_template_multi_list) == "subTemplateMultiList");
    CHECK(proto::to_string(ie_type::mac_address) == "macAddress");
}
