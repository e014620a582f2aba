#include "ipfix/pipeline/collector_mtu.hpp"

#include <algorithm>

namespace ipfix::pipeline {

mtu_choice choose_mtu(const config::collector_config& col, std::optional<uint32_t> path, const std::string& error,
                      mtu_source source) {
    mtu_choice c;
    const bool tcp = col.transport == config::collector_transport::tcp;
    const std::string host = col.address.family == 6 ? "[" + col.address.to_string() + "]" : col.address.to_string();
    c.note = "collector " + host + ":" + std::to_string(col.port) + (tcp ? " (tcp)" : "") + ": mtu ";
    const char* what = source == mtu_source::route ? "route" : "port";
    if (col.mtu != config::mtu_auto) {
        c.mtu = col.mtu;
        c.note += std::to_string(c.mtu) + " (configured)";
        // Kept as the operator said; but what leaves bigger than the way is fragmented or lost.
        if (!tcp && path && *path < col.mtu) {
            c.warning = true;
            c.note += std::string(", over the ") + what + "'s MTU " + std::to_string(*path) +
                      ": larger datagrams may be fragmented or dropped";
        }
        return c;
    }
    c.note += "auto -> ";
    if (tcp) {
        c.mtu = config::fallback_mtu;
        c.note += std::to_string(c.mtu) + " (tcp: messages of that size as before; a stream is not split at the MTU)";
        return c;
    }
    if (!path) {
        c.mtu = config::fallback_mtu;
        c.warning = true;
        c.note += std::to_string(c.mtu) + " (cannot learn the " + what + "'s MTU: " + error + ")";
        return c;
    }
    // Below the least a number may be configured the output would not fit the link either
    // way; 576 at least keeps every record of ordinary templates whole.
    c.mtu = static_cast<uint16_t>(std::clamp<uint32_t>(*path, config::min_mtu, config::max_mtu));
    c.note += std::to_string(c.mtu) + " (" + what + " mtu " + std::to_string(*path) + ")";
    c.warning = *path < config::min_mtu;
    return c;
}

}  // namespace ipfix::pipeline
