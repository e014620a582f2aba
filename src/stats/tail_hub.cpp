#include "ipfix/stats/tail_hub.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "ipfix/stats/tail_json.hpp"

namespace ipfix::stats {

tail_subscription::~tail_subscription() {
    const std::lock_guard lock(hub_.mutex_);
    std::erase(hub_.subscriptions_, this);
    hub_.clients_.store(hub_.subscriptions_.size(), std::memory_order_relaxed);
}

bool tail_subscription::take(std::string& out) {
    const std::lock_guard lock(hub_.mutex_);
    if (unreported_drops_ == 0 && pending_.empty()) return false;
    if (unreported_drops_ > 0) {
        append_dropped_json(unreported_drops_, out);
        unreported_drops_ = 0;
    }
    out += pending_;
    pending_.clear();
    return true;
}

void tail_subscription::prepend(std::string_view lines) {
    const std::lock_guard lock(hub_.mutex_);
    pending_.insert(0, lines);
}

uint64_t tail_subscription::dropped() const {
    const std::lock_guard lock(hub_.mutex_);
    return drops_;
}

tail_hub::tail_hub(tail_hub_options options)
    : options_(options), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

tail_hub::~tail_hub() {
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

void tail_hub::take(std::span<const pipeline::flow_summary> batch) {
    bool any = false;
    {
        const std::lock_guard lock(mutex_);
        std::string line;
        for (const pipeline::flow_summary& s : batch) {
            line.clear();  // encoded once, for the first client that wants it
            for (tail_subscription* sub : subscriptions_) {
                if (!sub->filter_.matches(s)) continue;
                if (line.empty()) append_tail_json(s, line);
                if (sub->pending_.size() + line.size() > options_.buffer_bytes) {
                    ++sub->drops_;
                    ++sub->unreported_drops_;
                    any = true;  // the notice is news too
                    continue;
                }
                sub->pending_ += line;
                any = true;
            }
        }
    }
    if (any && wake_fd_ >= 0) {
        const uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
    }
}

std::unique_ptr<tail_subscription> tail_hub::subscribe(tail_filter filter) {
    const std::lock_guard lock(mutex_);
    if (subscriptions_.size() >= options_.max_clients) return nullptr;
    std::unique_ptr<tail_subscription> sub(new tail_subscription(*this, std::move(filter)));
    subscriptions_.push_back(sub.get());
    clients_.store(subscriptions_.size(), std::memory_order_relaxed);
    return sub;
}

void tail_hub::clear_wake() {
    uint64_t n = 0;
    [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &n, sizeof n);
}

}  // namespace ipfix::stats
