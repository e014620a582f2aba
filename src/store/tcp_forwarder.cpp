#include "ipfix/log/leveled_log.hpp"
#include "ipfix/store/tcp_forwarder.hpp"

#include "ipfix/store/template_store.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace ipfix::store {
namespace {

constexpr size_t replay_batch = 64;
constexpr int idle_wait_ms = 2;

uint64_t steady_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

uint64_t wall_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

tcp_forwarder::tcp_forwarder(tcp_forwarder_options options, std::unique_ptr<spool> backlog)
    : options_(std::move(options)), spool_(std::move(backlog)), backoff_ms_(options_.initial_backoff_ms) {
    for (size_t i = 0; i < options_.workers; ++i) {
        queues_.push_back(std::make_unique<pipeline::message_queue>(options_.queue_capacity));
    }
    // A restarted daemon continues after what the spool kept from the last run.
    if (spool_) {
        // Lost like those dropped at the cap: the collector must still get their templates.
        spool_->on_lost([this](std::span<const uint8_t> lost) { templates_.learn(lost); });
        next_seq_ = spool_->next_seq();
        templates_.restore(spool_->load_templates());
        saved_templates_ = templates_.version();
    }
    health_.tcp = true;
    publish();
}

tcp_forwarder::~tcp_forwarder() { stop(); }

void tcp_forwarder::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] { run(); });
}

void tcp_forwarder::stop() {
    if (running_.exchange(false) && thread_.joinable()) thread_.join();
}

pipeline::collector_health tcp_forwarder::health() const {
    std::lock_guard lock(health_mutex_);
    return shown_;
}

void tcp_forwarder::publish() {
    health_.state = state_;
    if (spool_) {
        health_.backlog_messages = spool_->messages();
        health_.backlog_bytes = spool_->bytes();
    }
    uint64_t queue_drops = 0;
    for (const auto& q : queues_) queue_drops += q->drops();
    pipeline::collector_health h = health_;
    h.dropped += queue_drops + (spool_ ? spool_->dropped() + spool_->lost() : 0);
    if (spool_) {
        h.spool_write_errors = spool_->write_errors();
        h.spool_lost = spool_->lost();
        h.spool_failing = spool_->failing();
    }
    std::lock_guard lock(health_mutex_);
    shown_ = h;
    if (h.spool_failing) shown_error_ = last_error_;
}

void tcp_forwarder::report_faults(std::ostream& log) {
    pipeline::collector_health h;
    std::string error;
    {
        std::lock_guard lock(health_mutex_);
        h = shown_;
        error = shown_error_;
    }
    const std::string name = options_.collector.to_string();
    if (h.spool_failing && !fault_reported_) {
        log << log::error << "ipfix-enricher: collector " << name << ": template store " << options_.store_path << ": "
            << error << "; forwarding goes on, messages the collector cannot take now are lost (counted)\n";
        fault_reported_ = true;
        lost_before_ = h.spool_lost;
    } else if (!h.spool_failing && fault_reported_) {
        log << "ipfix-enricher: collector " << name << ": spool in template store " << options_.store_path
            << ": writing again (" << h.spool_lost - lost_before_ << " more messages lost meanwhile)\n";
        fault_reported_ = false;
    }
}

void tcp_forwarder::run() {
    while (running_.load(std::memory_order_relaxed)) step(steady_ms(), idle_wait_ms);
    // The workers have stopped: what they left, then a last chance to deliver it.
    const uint64_t until = steady_ms() + options_.close_timeout_ms;
    for (uint64_t now = steady_ms(); now < until; now = steady_ms()) {
        step(now, idle_wait_ms);
        acknowledge();
        if (state_ != pipeline::link_state::connected || (flight_.empty() && !has_unsent_backlog())) break;
    }
    end_connection(steady_ms());
    std::string error;
    if (spool_ && templates_.version() != saved_templates_) spool_->save_templates(templates_.entries());
    if (spool_) spool_->commit(error);
    publish();
}

void tcp_forwarder::step(uint64_t now, int wait_ms) {
    std::vector<uint8_t> m;
    for (auto& q : queues_) {
        while (q->pop(m)) {
            take(m, now);
            q->recycle(std::move(m));
        }
    }
    if (state_ == pipeline::link_state::down && now >= next_attempt_) connect(now);
    pollfd p{fd_, 0, 0};
    if (state_ == pipeline::link_state::connecting) p.events = POLLOUT;
    if (state_ == pipeline::link_state::connected) {
        acknowledge();
        replay();
        write_out();
        p.events = static_cast<short>(POLLIN | (out_pos_ < out_.size() ? POLLOUT : 0));
    }
    if (spool_ && templates_.version() != saved_templates_) {
        spool_->save_templates(templates_.entries());
        saved_templates_ = templates_.version();
    }
    // A failing spool writes nothing until a write goes through: its templates (lost with the
    // refused batch anyway) are that write, once a second.
    if (spool_ && spool_->failing() && now >= next_probe_) {
        next_probe_ = now + 1000;
        spool_->retry(templates_.entries(), last_error_);
    }
    if (spool_) spool_->commit(last_error_);  // a refused write is counted by the spool
    publish();
    if (fd_ < 0) {
        ::poll(nullptr, 0, wait_ms);
        return;
    }
    p.fd = fd_;  // connect() above may have made it
    const int ready = ::poll(&p, 1, wait_ms);
    now = steady_ms();
    if (ready > 0 && state_ == pipeline::link_state::connecting) {
        finish_connect(now);
        return;
    }
    if (ready > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) read_in(now);
    if (ready > 0 && state_ == pipeline::link_state::connected && (p.revents & POLLOUT)) write_out();
    if (state_ == pipeline::link_state::connected && closing_) {
        acknowledge();
        if (out_pos_ == out_.size() && !shut_) {
            ::shutdown(fd_, SHUT_WR);
            shut_ = true;
        }
        if ((shut_ && flight_.empty()) || now - closing_since_ > options_.close_timeout_ms) end_connection(now);
    }
}

bool tcp_forwarder::has_unsent_backlog() const { return spool_ && !spool_->empty() && spool_->next_seq() > cursor_; }

void tcp_forwarder::take(std::vector<uint8_t>& message, uint64_t now) {
    (void)now;
    const uint64_t seq = next_seq_++;
    if (io::ipfix_message_length(message) != message.size()) {
        ++health_.dropped;  // the mediator writes whole IPFIX messages only: never expected
        return;
    }
    if (state_ == pipeline::link_state::connected && !closing_ && !has_unsent_backlog() &&
        unacked() < options_.max_unacked_bytes) {
        hand(seq, message, false);
    } else {
        to_spool(seq, message);
    }
}

void tcp_forwarder::to_spool(uint64_t seq, std::span<const uint8_t> message) {
    if (!spool_) {
        // Without a store nothing can wait: the message is lost, its templates still count.
        templates_.learn(message);
        ++health_.dropped;
        return;
    }
    spool_->append(seq, message, [this](std::span<const uint8_t> dropped) { templates_.learn(dropped); });
    ++health_.spooled;
}

void tcp_forwarder::hand(uint64_t seq, std::span<const uint8_t> message, bool from_spool) {
    const io::ipfix_header h = io::read_ipfix_header(message);
    if (domains_.insert(h.domain).second) {
        for (const auto& t : templates_.messages_for(h.domain, h.export_time, h.sequence)) {
            out_.insert(out_.end(), t.begin(), t.end());
            handed_ += t.size();
        }
    }
    out_.insert(out_.end(), message.begin(), message.end());
    handed_ += message.size();
    flight_.push_back({seq, handed_, from_spool, std::vector<uint8_t>(message.begin(), message.end())});
}

void tcp_forwarder::replay() {
    while (!closing_ && has_unsent_backlog() && unacked() < options_.max_unacked_bytes) {
        const std::vector<spooled_message> batch = spool_->read(cursor_, replay_batch);
        if (batch.empty()) {
            cursor_ = spool_->next_seq();
            break;
        }
        for (const spooled_message& e : batch) {
            hand(e.seq, e.bytes, true);
            ++health_.replayed;
            cursor_ = e.seq + 1;
        }
    }
}

void tcp_forwarder::connect(uint64_t now) {
    sockaddr_storage sa{};
    const socklen_t len = options_.collector.to_sockaddr(sa);
    fd_ = ::socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        next_attempt_ = now + backoff_ms_;
        return;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&sa), len) == 0) {
        state_ = pipeline::link_state::connecting;
        finish_connect(now);
    } else if (errno == EINPROGRESS) {
        state_ = pipeline::link_state::connecting;
    } else {
        end_connection(now);
    }
}

void tcp_forwarder::finish_connect(uint64_t now) {
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
        end_connection(now);
        return;
    }
    state_ = pipeline::link_state::connected;
    backoff_ms_ = options_.initial_backoff_ms;
    ++health_.connects;
    cursor_ = 0;  // everything the spool holds goes first, in order
}

void tcp_forwarder::write_out() {
    while (out_pos_ < out_.size()) {
        const ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            out_pos_ += static_cast<size_t>(n);
            written_ += static_cast<uint64_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        end_connection(steady_ms());
        return;
    }
    out_.clear();
    out_pos_ = 0;
}

void tcp_forwarder::read_in(uint64_t now) {
    uint8_t scratch[512];
    for (;;) {
        const ssize_t n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n > 0) continue;  // collectors send nothing we use
        if (n == 0) {
            // The collector closed its side: finish what it was sent, then reconnect.
            if (!closing_) {
                closing_ = true;
                closing_since_ = now;
            }
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        end_connection(now);
        return;
    }
}

void tcp_forwarder::acknowledge() {
    if (fd_ < 0 || state_ != pipeline::link_state::connected) return;
    int queued = 0;
    if (::ioctl(fd_, SIOCOUTQ, &queued) != 0 || queued < 0) return;
    acked_ = written_ - std::min<uint64_t>(written_, static_cast<uint64_t>(queued));
    bool any = false;
    while (!flight_.empty() && flight_.front().end <= acked_) {
        const in_flight& f = flight_.front();
        templates_.learn(f.bytes);
        if (f.from_spool && spool_) spool_->remove_through(f.seq);
        ++health_.sent;
        any = true;
        flight_.pop_front();
    }
    if (any) health_.last_success_ms = wall_ms();
}

void tcp_forwarder::end_connection(uint64_t now) {
    if (fd_ >= 0) {
        acknowledge();
        ::close(fd_);
        fd_ = -1;
    }
    // Written but not acknowledged: again, whole, on the next connection (the spool keeps its own).
    for (const in_flight& f : flight_) {
        if (!f.from_spool) to_spool(f.seq, f.bytes);
    }
    flight_.clear();
    out_.clear();
    out_pos_ = 0;
    handed_ = written_ = acked_ = 0;
    domains_.clear();
    cursor_ = 0;
    closing_ = shut_ = false;
    next_attempt_ = now + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, options_.max_backoff_ms);
    state_ = pipeline::link_state::down;
}

std::vector<std::unique_ptr<tcp_forwarder>> make_forwarders(const config::daemon_config& config, template_store* store,
                                                            std::ostream& log) {
    std::vector<std::unique_ptr<tcp_forwarder>> out;
    rocksdb::ColumnFamilyHandle* family = nullptr;
    for (const config::collector_config& c : config.forwarding.collectors) {
        if (c.transport != config::collector_transport::tcp) {
            out.emplace_back();
            continue;
        }
        tcp_forwarder_options o;
        o.collector = {c.address, c.port};
        o.workers = config.performance.workers;
        o.queue_capacity = config.performance.queue_size;
        if (store != nullptr) o.store_path = store->path();
        std::unique_ptr<spool> backlog;
        std::string error;
        if (store != nullptr && family == nullptr) family = store->column_family("spool", error);
        if (family != nullptr) {
            backlog = std::make_unique<spool>(store->db(), family, o.collector.to_string(), c.spool_max_bytes);
            if (!backlog->empty()) {
                log << "ipfix-enricher: collector " << o.collector.to_string() << ": " << backlog->messages()
                    << " spooled messages from the last run go first\n";
            }
        } else {
            log << log::warning << "ipfix-enricher: collector " << o.collector.to_string()
                << ": no spool (" << (store ? error : std::string("the store is off"))
                << "); messages it cannot take are dropped\n";
        }
        out.push_back(std::make_unique<tcp_forwarder>(o, std::move(backlog)));
    }
    return out;
}

std::vector<pipeline::message_queue*> queues_for(const std::vector<std::unique_ptr<tcp_forwarder>>& f, size_t worker) {
    std::vector<pipeline::message_queue*> q;
    for (const auto& x : f) q.push_back(x ? &x->queue(worker) : nullptr);
    return q;
}

void report(const std::vector<std::unique_ptr<tcp_forwarder>>& f, pipeline::store_stats& out) {
    for (const auto& x : f) {
        if (!x) continue;
        const pipeline::collector_health h = x->health();
        out.spool_write_errors += h.spool_write_errors;
        out.spool_lost_messages += h.spool_lost;
        out.failing |= h.spool_failing ? 1 : 0;
    }
}

std::vector<pipeline::collector_health> health_of(const std::vector<std::unique_ptr<tcp_forwarder>>& f) {
    std::vector<pipeline::collector_health> h;
    for (const auto& x : f) h.push_back(x ? x->health() : pipeline::collector_health{});
    return h;
}

std::string summary(const pipeline::collector_health& h) {
    std::string s(pipeline::link_state_name(h.state));
    s += ", " + std::to_string(h.sent) + " acknowledged, " + std::to_string(h.spooled) + " spooled, ";
    s += std::to_string(h.replayed) + " replayed, " + std::to_string(h.dropped) + " dropped, backlog ";
    s += std::to_string(h.backlog_messages) + " messages (" + std::to_string(h.backlog_bytes) + " bytes), ";
    s += std::to_string(h.connects) + " connects";
    return s;
}

}  // namespace ipfix::store
