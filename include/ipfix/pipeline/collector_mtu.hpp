// The MTU each collector's output is split at: its configured number, or for `mtu: auto` the
// MTU of the way toward it (the backend's path_mtu: the kernel's route, or the DPDK port's)
// within what the pipeline builds (config::max_mtu). The note is the daemon's log line.
//
//   mtu_choice c = choose_mtu(col, 65536, "", mtu_source::route);
//   // c.mtu == 9216, c.note == "collector 127.0.0.1:2056: mtu auto -> 9216 (route mtu 65536)"
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ipfix/config/config.hpp"

namespace ipfix::pipeline {

enum class mtu_source : uint8_t { route, port };

struct mtu_choice {
    uint16_t mtu = config::fallback_mtu;
    std::string note;
    // auto, but the MTU could not be learnt (the fallback is used) or was under 576; or a
    // configured number over what the way toward the collector takes.
    bool warning = false;
    friend bool operator==(const mtu_choice&, const mtu_choice&) = default;
};

// `path`: what the backend said toward the collector (nullopt with `error` when it could not).
// Not asked for TCP collectors: a stream is not split at the MTU, and their messages keep the
// size they had before auto (config::fallback_mtu) unless a number is configured. A configured
// number is kept, with a warning when the way takes less.
mtu_choice choose_mtu(const config::collector_config& col, std::optional<uint32_t> path, const std::string& error,
                      mtu_source source);

// Whether choose_mtu wants the backend's answer for `col` (UDP collectors).
inline bool needs_path_mtu(const config::collector_config& col) {
    return col.transport == config::collector_transport::udp;
}

}  // namespace ipfix::pipeline
