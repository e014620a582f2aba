#include "ipfix/stats/tail_json.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ipfix;
using namespace ipfix::stats;

TEST_CASE("tailJsonLineExact", "[stats][tail]") {
    pipeline::flow_summary s;
    s.seen_ms = 1764150000123;
    s.flow_start_ms = 1764149990000;
    s.flow_end_ms = 1764149999000;
    s.exporter = *proto::ip_address::parse("192.0.2.7");
    s.exporter_port = 40000;
    s.version = 10;
    s.domain = 7;
    s.template_id = 256;
    s.source = *proto::ip_address::parse("10.1.2.3");
    s.destination = *proto::ip_address::parse("198.51.100.9");
    s.source_port = 51000;
    s.destination_port = 443;
    s.protocol = 6;
    s.source_as = 64500;
    s.destination_as = 4294967295u;
    s.source_as_filled = true;
    s.source_country = {'N', 'L'};
    s.bytes = 18446744073709551615u;
    s.packets = 12;
    s.input_interface = 3;
    s.output_interface = 4;
    std::string out = "x";
    append_tail_json(s, out);
    CHECK(out ==
          "x{\"time_ms\":1764150000123,\"exporter\":\"192.0.2.7:40000\",\"version\":10,\"domain\":7,\"template\":256,"
          "\"source\":\"10.1.2.3\",\"destination\":\"198.51.100.9\",\"source_port\":51000,\"destination_port\":443,"
          "\"protocol\":6,\"source_as\":64500,\"destination_as\":4294967295,\"source_as_filled\":true,"
          "\"destination_as_filled\":false,\"source_country\":\"NL\",\"destination_country\":\"\","
          "\"bytes\":18446744073709551615,\"packets\":12,\"input_interface\":3,\"output_interface\":4,"
          "\"flow_start_ms\":1764149990000,\"flow_end_ms\":1764149999000}\n");
}

TEST_CASE("tailJsonAbsentAndIpv6", "[stats][tail]") {
    pipeline::flow_summary s;
    s.exporter = *proto::ip_address::parse("2001:db8::1");
    s.exporter_port = 2055;
    s.destination = *proto::ip_address::parse("2001:db8::2");
    s.source_country = {'"', '\\'};  // never copied into the JSON unescaped
    s.destination_country = {'n', 'l'};
    std::string out;
    append_tail_json(s, out);
    const auto j = nlohmann::json::parse(out);
    CHECK(j.size() == 22);
    CHECK(j["exporter"] == "[2001:db8::1]:2055");
    CHECK(j["source"] == "");
    CHECK(j["destination"] == "2001:db8::2");
    CHECK(j["source_country"] == "");
    CHECK(j["destination_country"] == "");
    CHECK(j["version"] == 0);
    CHECK(j["destination_as_filled"] == false);
    CHECK(out.back() == '\n');
    CHECK(out.find('\n') == out.size() - 1);
}

TEST_CASE("tailJsonDropped", "[stats][tail]") {
    std::string out;
    append_dropped_json(42, out);
    CHECK(out == "{\"dropped\":42}\n");
}
