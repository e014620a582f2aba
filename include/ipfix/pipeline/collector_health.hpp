// A TCP collector's link as the stats show it: connection state, last success, the spool's
// backlog and what went through it. UDP collectors have none (tcp = false).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipfix::pipeline {

enum class link_state : uint8_t { down, connecting, connected };

inline std::string_view link_state_name(link_state s) {
    switch (s) {
        case link_state::connecting: return "connecting";
        case link_state::connected: return "connected";
        default: return "down";
    }
}

struct collector_health {
    bool tcp = false;
    link_state state = link_state::down;
    uint64_t last_success_ms = 0;    // wall clock of the last write the collector acknowledged; 0: never
    uint64_t backlog_messages = 0;   // in the spool now
    uint64_t backlog_bytes = 0;
    uint64_t spooled = 0;            // messages put into the spool (ever)
    uint64_t replayed = 0;           // messages written from the spool
    uint64_t dropped = 0;            // the spool's oldest at its cap, refused writes, full queues, no spool
    uint64_t sent = 0;               // messages the collector acknowledged
    uint64_t connects = 0;           // connections made
    uint64_t spool_write_errors = 0; // spool writes the store refused (disk full, I/O error)
    uint64_t spool_lost = 0;         // messages in them (also in dropped)
    bool spool_failing = false;      // the last spool write was refused
};

}  // namespace ipfix::pipeline
