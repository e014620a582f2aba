// The dashboard's polling thread: asks the daemon every interval and keeps the last two answers
// that reached it (for rates) and whether the latest failed, so the screen never waits on the
// network and an unreachable daemon is retried forever.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "views.hpp"

namespace ipfix::tools {

class poll_loop {
public:
    poll_loop(endpoint where, poll_options options, unsigned interval_seconds);
    ~poll_loop();  // stops and joins
    poll_loop(const poll_loop&) = delete;
    poll_loop& operator=(const poll_loop&) = delete;

    // A copy of the state; `version` grows with every poll, so the caller redraws only on change.
    screen_data snapshot(unsigned long& version) const;
    void pause(bool on);

private:
    void run();

    endpoint where_;
    poll_options options_;
    unsigned interval_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    screen_data data_;
    unsigned long version_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

// Adds one poll's outcome to the state (the pure part of the loop, also used by --once).
void record_poll(screen_data& d, daemon_poll p, std::string updated);

// Local time of day, "HH:MM:SS".
std::string clock_text();

}  // namespace ipfix::tools
