// ipfix-tail --log: the daemon's log followed with highlighting (errors red, warnings yellow,
// starts, reloads and stops bold), from a file (its last lines, then what is appended; a
// rotated or truncated file is reopened) or from the journal (journalctl -u ipfix-enricher -f).
#pragma once

#include <string>
#include <string_view>

namespace ipfix::tail {

// The line with its highlighting (unchanged without colour).
std::string highlight_log_line(std::string_view line, bool colour);

// Follow until interrupted; returns the exit status (1 with a message when it cannot start).
int follow_log_file(const std::string& path, bool colour, size_t last_lines = 10);
int follow_journal(bool colour, const std::string& unit = "ipfix-enricher");

}  // namespace ipfix::tail
