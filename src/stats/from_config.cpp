#include "ipfix/stats/from_config.hpp"

#include "ipfix/io/socket_address.hpp"

namespace ipfix::stats {

bool stats_enabled(const config::general_config& g) { return !g.stats_address.empty(); }

stats_server_options server_options(const config::general_config& g) {
    stats_server_options o;
    o.address = g.stats_address == "localhost" ? "127.0.0.1" : g.stats_address;
    o.port = g.stats_port;
    o.max_connections = g.stats_max_connections;
    o.idle_timeout = std::chrono::seconds(g.stats_idle_timeout_seconds);
    return o;
}

std::vector<std::string> collector_names(const config::forwarding_config& f) {
    std::vector<std::string> names;
    for (const auto& c : f.collectors) names.push_back(io::socket_address{c.address, c.port}.to_string());
    return names;
}

std::string endpoint_text(const std::string& address, uint16_t port) {
    if (const auto a = proto::ip_address::parse(address)) return io::socket_address{*a, port}.to_string();
    return address + ":" + std::to_string(port);
}

}  // namespace ipfix::stats
