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

// Up to `n` lines of `journalctl -u unit -p warning`, oldest first.
std::vector<std::string> journal_errors(const std::string& unit, unsigned n);

// The last `n` lines of a log file that read like trouble (error, fail, cannot, refused, warning,
// drop, malformed, ...). Throws std::runtime_error when the file cannot be read.
std::vector<std::string> log_file_errors(const std::string& path, unsigned n);

}  // namespace ipfix::tools
