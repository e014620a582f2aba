// --offline: runs captured export packets through the daemon's own stages (decode, enrich,
// mediate) and writes the output datagrams, addressed to each configured collector, to a
// capture. Exits when the input ends.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "ipfix/config/config.hpp"

namespace ipfix::daemon {

struct offline_options {
    std::string input;
    std::string output;
    std::vector<uint16_t> extra_ports;  // besides listen_port and the well-known export ports
};

// Returns the process exit status; the summary of counters goes to `report`.
int run_offline(const config::daemon_config& config, const offline_options& options, std::ostream& report);

}  // namespace ipfix::daemon
