// The daemon proper: the live pipeline on the DPDK EAL with the socket backend, run until
// SIGTERM or SIGINT (drained and flushed, exit 0); SIGHUP reloads the AS databases (and says
// which other changes of the config file need a restart). Tells systemd READY and WATCHDOG.
#pragma once

#include <ostream>
#include <string>

#include "ipfix/config/config.hpp"

namespace ipfix::daemon {

// Returns the exit status: 0 after a clean stop, 1 when the pipeline cannot start (a port in
// use, too few lcores), 2 when the databases cannot be loaded.
int run_live(const config::daemon_config& config, std::ostream& log);

}  // namespace ipfix::daemon
