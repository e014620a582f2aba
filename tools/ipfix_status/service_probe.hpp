// What ipfix-status asks the host: the unit's state from systemctl, its recent warnings from
// journalctl, or the last error lines of a log file. Commands run without a shell, each bounded
// in time and output.
#pragma once

#include <string>
#include <vector>

#include "status_report.hpp"

namespace ipfix::tools {

// systemctl show of `unit`; not under systemd when the host does not run systemd, systemctl is
// missing, or the unit is unknown (then `note` says which).
service_state probe_service(const std::string& unit);

// The last `n` lines that read like trouble among the unit's last 200 journal lines (the daemon
// logs to stderr, which the journal files at priority info, so `-p warning` alone would only
// show systemd's own lines), oldest first.
std::vector<std::string> journal_errors(const std::string& unit, unsigned n);

// The last `n` lines of a log file that read like trouble (error, fail, cannot, refused, warning,
// drop, malformed, ...). Throws std::runtime_error when the file cannot be read.
std::vector<std::string> log_file_errors(const std::string& path, unsigned n);

// The pure parts, for tests: `systemctl show` output read into a state; the last `n` lines of
// text that read like trouble (error, fail, cannot, refused, warning, dropped, ...).
service_state parse_systemctl_show(const std::string& unit, const std::string& text);
std::vector<std::string> trouble_lines(const std::string& text, unsigned n);

}  // namespace ipfix::tools
