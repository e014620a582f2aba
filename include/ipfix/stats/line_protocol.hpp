// The telnet-style line protocol of the stats port, as plain functions over bytes: finding a
// line in what a client sent so far, and reading a command from it. No I/O, no allocation.
//
//   auto s = ipfix::stats::scan_line(buffer, 4096);
//   if (s.status == line_status::complete) handle(parse_command(s.line)); buffer.erase(0, s.consumed);
#pragma once

#include <cstddef>
#include <string_view>

namespace ipfix::stats {

enum class line_status : unsigned char {
    incomplete,  // no end of line yet, and not over the limit
    complete,    // `line` (without CR LF / LF) and `consumed` (with them) are set
    too_long,    // more than max_length bytes before the end of line (decided as soon as seen)
};

struct line_scan {
    line_status status = line_status::incomplete;
    std::string_view line;
    size_t consumed = 0;
};

// The first line of `buffer`: up to LF, a CR right before it dropped.
line_scan scan_line(std::string_view buffer, size_t max_length);

enum class command_kind : unsigned char {
    empty,  // blank line: nothing to answer
    stats,
    collectors,
    exporters,
    templates,
    as_stats,
    top,
    reset,  // the one state-changing command: needs the token
    help,
    quit,
    unknown,
};

struct command {
    command_kind kind = command_kind::empty;
    std::string_view name;  // the first word as typed
    std::string_view args;  // the rest, trimmed
};

// Commands are one word, case-insensitive, surrounded by spaces or tabs; `exit` is `quit`.
command parse_command(std::string_view line);

// The names `help` lists, in order.
std::string_view command_name(command_kind kind);

}  // namespace ipfix::stats
