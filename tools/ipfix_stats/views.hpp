// The dashboard's screens as plain text: pure functions from what was polled to lines, shared by
// the ncurses loop, --once and the unit tests (no terminal, no clock, no I/O here).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_poll.hpp"

namespace ipfix::tools {

enum class view_id : unsigned char { overview, as, talkers, exporters, errors };
inline constexpr std::array<std::string_view, 5> view_names = {"Overview", "AS", "Talkers", "Exporters", "Errors"};

struct screen_data {
    std::string target;                  // "127.0.0.1:9999"
    unsigned interval_seconds = 1;
    bool paused = false;
    std::optional<daemon_poll> now;      // the last poll that reached the daemon
    std::optional<daemon_poll> before;   // the one before it: rates are the difference
    std::string unreachable;             // non-empty: the latest poll failed, why
    unsigned failed_polls = 0;           // in a row
    std::string updated;                 // "HH:MM:SS" of `now`, local time
};

std::string render_header(const screen_data& d);
std::string render_tabs(view_id active);
std::string render_footer();
std::vector<std::string> render_view(view_id v, const screen_data& d);

// "5s", "3m 07s", "2h 03m", "4d 01h": how long ago or how long up.
std::string format_duration(double seconds);

}  // namespace ipfix::tools
