#include "ipfix/stats/line_protocol.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ipfix::stats;

TEST_CASE("scanLineFindsLfAndCrLf", "[stats][line]") {
    auto s = scan_line("stats\r\nhelp\n", 4096);
    CHECK(s.status == line_status::complete);
    CHECK(s.line == "stats");
    CHECK(s.consumed == 7);
    s = scan_line("help\nquit", 4096);
    CHECK(s.status == line_status::complete);
    CHECK(s.line == "help");
    CHECK(s.consumed == 5);
    s = scan_line("\n", 4096);
    CHECK(s.status == line_status::complete);
    CHECK(s.line.empty());
    CHECK(s.consumed == 1);
}

TEST_CASE("scanLineWaitsForTheEnd", "[stats][line]") {
    CHECK(scan_line("", 4).status == line_status::incomplete);
    CHECK(scan_line("stat", 4).status == line_status::incomplete);
    // A trailing CR may be the first half of CR LF: not counted against the limit yet.
    CHECK(scan_line("stat\r", 4).status == line_status::incomplete);
    CHECK(scan_line("stat\r\n", 4).line == "stat");
}

TEST_CASE("scanLineRejectsOverLongLinesEarly", "[stats][line]") {
    CHECK(scan_line("stats", 4).status == line_status::too_long);            // no end yet, already over
    CHECK(scan_line("stats\n", 4).status == line_status::too_long);
    CHECK(scan_line(std::string(5000, 'x'), 4096).status == line_status::too_long);
    CHECK(scan_line(std::string(4096, 'x') + "\r\n", 4096).status == line_status::complete);
    CHECK(scan_line(std::string(4097, 'x') + "\r\n", 4096).status == line_status::too_long);
}

TEST_CASE("parseCommandWordsCaseAndArguments", "[stats][line]") {
    CHECK(parse_command("stats").kind == command_kind::stats);
    CHECK(parse_command("  STATS \t").kind == command_kind::stats);
    CHECK(parse_command("Collectors").kind == command_kind::collectors);
    CHECK(parse_command("exporters").kind == command_kind::exporters);
    CHECK(parse_command("templates").kind == command_kind::templates);
    CHECK(parse_command("as_stats").kind == command_kind::as_stats);
    CHECK(parse_command("help").kind == command_kind::help);
    CHECK(parse_command("quit").kind == command_kind::quit);
    CHECK(parse_command("exit").kind == command_kind::quit);
    CHECK(parse_command("").kind == command_kind::empty);
    CHECK(parse_command(" \t ").kind == command_kind::empty);
    const command top = parse_command("top  10 by bytes ");
    CHECK(top.kind == command_kind::top);
    CHECK(top.name == "top");
    CHECK(top.args == "10 by bytes");
    const command bad = parse_command("statz x");
    CHECK(bad.kind == command_kind::unknown);
    CHECK(bad.name == "statz");
    CHECK(parse_command("stats2").kind == command_kind::unknown);
    CHECK(parse_command(std::string("st\0ts", 5)).kind == command_kind::unknown);
    CHECK(command_name(command_kind::as_stats) == "as_stats");
    CHECK(command_name(command_kind::quit) == "quit");
}
