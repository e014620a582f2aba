#include "poll_loop.hpp"

#include <ctime>

#include <fmt/format.h>

namespace ipfix::tools {

void record_poll(screen_data& d, daemon_poll p, std::string updated) {
    if (!p.reachable || !p.stats.value) {
        d.unreachable = p.reachable ? "no counters: " + p.stats.missing : p.error;
        ++d.failed_polls;
        return;
    }
    d.unreachable.clear();
    d.failed_polls = 0;
    // Rates across a gap of failed polls would span the outage: only consecutive answers count.
    d.before = std::move(d.now);
    d.now = std::move(p);
    d.updated = std::move(updated);
}

std::string clock_text() {
    const std::time_t t = std::time(nullptr);
    std::tm local{};
    localtime_r(&t, &local);
    return fmt::format("{:02}:{:02}:{:02}", local.tm_hour, local.tm_min, local.tm_sec);
}

poll_loop::poll_loop(endpoint where, poll_options options, unsigned interval_seconds)
    : where_(std::move(where)), options_(options), interval_(interval_seconds) {
    data_.target = where_.text();
    data_.interval_seconds = interval_;
    thread_ = std::thread([this] { run(); });
}

poll_loop::~poll_loop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

screen_data poll_loop::snapshot(unsigned long& version) const {
    std::lock_guard lock(mutex_);
    version = version_;
    return data_;
}

void poll_loop::pause(bool on) {
    {
        std::lock_guard lock(mutex_);
        data_.paused = on;
        ++version_;
    }
    wake_.notify_all();
}

void poll_loop::run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        if (!data_.paused) {
            lock.unlock();
            daemon_poll p = poll_daemon(where_, options_);
            std::string when = clock_text();
            lock.lock();
            if (stop_) break;
            if (!data_.paused) {
                record_poll(data_, std::move(p), std::move(when));
                ++version_;
            }
        }
        wake_.wait_for(lock, std::chrono::seconds(interval_), [this] { return stop_; });
    }
}

}  // namespace ipfix::tools
