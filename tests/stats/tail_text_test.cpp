// ipfix-tail's rendering: the text line of a record and of a notice, with and without colour,
// and the log highlighting.
#include <catch2/catch.hpp>

#include "log_follow.hpp"
#include "record_text.hpp"

using namespace ipfix::tail;

namespace {

const char* record_line =
    R"({"time_ms":1764150000123,"exporter":"192.0.2.7:40000","version":10,"domain":7,"template":256,)"
    R"("source":"10.1.2.3","destination":"2001:db8::9","source_port":51000,"destination_port":443,"protocol":6,)"
    R"("source_as":64500,"destination_as":0,"source_as_filled":true,"destination_as_filled":false,)"
    R"("source_country":"NL","destination_country":"","bytes":123456,"packets":12,"input_interface":3,)"
    R"("output_interface":4,"flow_start_ms":1764149990000,"flow_end_ms":1764149999000})";

}  // namespace

TEST_CASE("tailTextRecordPlain", "[tail][tool]") {
    CHECK(record_text(record_line, {false, true}) ==
          "09:40:00.123 192.0.2.7:40000 tcp    10.1.2.3:51000 -> [2001:db8::9]:443  AS64500 -> AS0  NL>--  123k B 12 pkt");
}

TEST_CASE("tailTextRecordColours", "[tail][tool]") {
    CHECK(record_text(record_line, {true, true}) ==
          "09:40:00.123 \x1b[2m192.0.2.7:40000\x1b[0m tcp    10.1.2.3:51000 -> [2001:db8::9]:443  "
          "\x1b[32mAS64500\x1b[0m -> \x1b[31mAS0\x1b[0m  NL>--  123k B 12 pkt");
}

TEST_CASE("tailTextNotices", "[tail][tool]") {
    CHECK(record_text(R"({"dropped":17})", {true, true}) ==
          "\x1b[33m-- 17 records dropped: this client read too slowly --\x1b[0m");
    CHECK(record_text(R"({"dropped":17})", {false, true}) == "-- 17 records dropped: this client read too slowly --");
    CHECK(record_text(R"({"history_truncated":true})", {false, true}) ==
          "-- history cut short (too much for one client); live records follow --");
    CHECK(record_text("garbage", {false, true}) == "(not a record: garbage)");
    CHECK(record_text("[1,2]", {true, true}) == "\x1b[31m(not a record: [1,2])\x1b[0m");
    CHECK(record_text(R"({"other":1})", {false, true}) == R"((not a record: {"other":1}))");
}

TEST_CASE("tailTextProtocolNames", "[tail][tool]") {
    CHECK(protocol_name(1) == "icmp");
    CHECK(protocol_name(17) == "udp");
    CHECK(protocol_name(58) == "icmpv6");
    CHECK(protocol_name(132) == "sctp");
    CHECK(protocol_name(47) == "47");
}

TEST_CASE("tailLogHighlighting", "[tail][tool]") {
    CHECK(highlight_log_line("ipfix-enricher: cannot load the AS databases: x", false) ==
          "ipfix-enricher: cannot load the AS databases: x");
    CHECK(highlight_log_line("ipfix-enricher: reload refused, the running configuration stays: x", true) ==
          "\x1b[31mipfix-enricher: reload refused, the running configuration stays: x\x1b[0m");
    CHECK(highlight_log_line("ipfix-enricher: reload: general.listen_* changed; takes effect after a restart", true) ==
          "\x1b[33mipfix-enricher: reload: general.listen_* changed; takes effect after a restart\x1b[0m");
    CHECK(highlight_log_line("ipfix-enricher: stopping: draining and flushing", true) ==
          "\x1b[1mipfix-enricher: stopping: draining and flushing\x1b[0m");
    CHECK(highlight_log_line("ipfix-enricher: received 3 datagrams", true) == "ipfix-enricher: received 3 datagrams");
}
