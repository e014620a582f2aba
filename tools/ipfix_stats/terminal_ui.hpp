// The ncurses screen of ipfix-stats: draws the views of poll_loop's state, reads the keys
// (1-5, Tab, arrows to scroll, p, q) and follows terminal resizes. Returns when q (or SIGINT,
// SIGTERM) ends it, with the terminal restored.
#pragma once

#include "poll_loop.hpp"

namespace ipfix::tools {

int run_terminal_ui(poll_loop& loop, view_id first);

}  // namespace ipfix::tools
