// The stats port as the daemon's configuration asks for it (general.stats_*): whether it runs,
// its server options and the collectors' names for labels.
#pragma once

#include <string>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/stats/stats_server.hpp"

namespace ipfix::stats {

// An empty general.stats_address turns the port off.
bool stats_enabled(const config::general_config& g);
stats_server_options server_options(const config::general_config& g);
// "host:port" ("[v6]:port") per collector, in configuration order (the pipeline's order).
std::vector<std::string> collector_names(const config::forwarding_config& f);
// "127.0.0.1:9999" / "[::1]:9999" for the log.
std::string endpoint_text(const std::string& address, uint16_t port);

}  // namespace ipfix::stats
