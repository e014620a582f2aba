#include "ipfix/stats/stats_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "ipfix/io/socket_address.hpp"

namespace ipfix::stats {

using clock = std::chrono::steady_clock;

struct stats_server::connection {
    connection(int socket, responder& answers, const session_limits& limits, clock::time_point now)
        : fd(socket), proto(answers, limits), last_activity(now) {}
    ~connection() {
        if (fd >= 0) ::close(fd);
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    int fd;
    session proto;
    std::string out;   // answers not yet sent
    size_t sent = 0;   // of `out`
    clock::time_point last_activity;
    bool peer_closed = false;
    // Answered and closing: our side is shut down and what the client still sends is read and
    // dropped for a while, so closing with unread input (a reset) cannot destroy the answer.
    bool lingering = false;
    size_t discarded = 0;
    clock::time_point linger_until;
    bool done = false;  // to be closed now
    bool kept_alive = false;  // streaming: TCP keepalive set
};

namespace {

constexpr size_t read_chunk = 4096;
constexpr int listen_backlog = 64;
constexpr auto linger_time = std::chrono::seconds(2);
constexpr size_t linger_bytes = 4 << 20;
// A tail client gets more lines only below this much unsent: the rest wait in the hub, where
// overflowing drops are counted and told.
constexpr size_t stream_low_water = 64 << 10;

// A tail client never times out for idleness (records may be rare), so a peer that vanished
// without a FIN is found by TCP keepalive instead, in about two minutes.
void keep_alive(int fd) {
    const int on = 1, idle = 60, interval = 10, count = 6;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

void send_best_effort(int fd, std::string_view text) {
    // The client was just accepted: its socket buffer has room; if not, the message is lost.
    [[maybe_unused]] const ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

stats_server::stats_server(stats_server_options options, stats_source source)
    : options_(std::move(options)),
      responder_(std::move(source), options_.rate_interval),
      // One connection stays free of tail clients, so a scrape or a look at /healthz gets in.
      tail_({options_.max_connections > 1 ? options_.max_connections - 1 : 1, options_.tail_buffer_bytes}) {
    responder_.serve_tail(&tail_, {});
}

void stats_server::serve_history(tail_history history) { responder_.serve_tail(&tail_, std::move(history)); }

stats_server::~stats_server() {
    stop();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool stats_server::open(std::string& error) {
    const std::string where = fmt::format("{}:{}", options_.address, options_.port);
    const auto address = proto::ip_address::parse(options_.address);
    if (!address) {
        error = "stats port: '" + options_.address + "' is not an IPv4 or IPv6 address";
        return false;
    }
    io::socket_address sa{*address, options_.port};
    sockaddr_storage ss{};
    const socklen_t len = sa.to_sockaddr(ss);
    listen_fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        error = "stats port " + where + ": socket: " + std::strerror(errno);
        return false;
    }
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) ::setsockopt(listen_fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
        ::listen(listen_fd_, listen_backlog) != 0) {
        error = "stats port " + where + ": cannot listen: " + std::strerror(errno);
        ::close(listen_fd_);
        listen_fd_ = -1;
        return false;
    }
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof bound;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len);
    const auto b = io::socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&bound), bound_len);
    port_ = b ? b->port : options_.port;
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        error = std::string("stats port: eventfd: ") + std::strerror(errno);
        return false;
    }
    return true;
}

void stats_server::start() {
    if (listen_fd_ < 0 || thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void stats_server::stop() {
    if (!thread_.joinable()) return;
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
}

void stats_server::run() {
    std::vector<std::unique_ptr<connection>> conns;
    std::vector<pollfd> fds;
    char buf[read_chunk];
    auto pull = [](connection& c) {
        if (!c.proto.streaming()) return;
        if (!c.kept_alive) {
            keep_alive(c.fd);
            c.kept_alive = true;
        }
        if (c.out.size() - c.sent >= stream_low_water) return;
        c.out.erase(0, c.sent);  // the sent part goes, or a client always behind would grow it
        c.sent = 0;
        c.proto.pull_stream(c.out);
    };
    for (;;) {
        const auto now = clock::now();
        responder_.tick(now);

        // Wake for the next sample or the first idle deadline, whichever comes first.
        auto wait = responder_.until_next_tick(now);
        for (const auto& c : conns) {
            if (c->proto.streaming()) continue;  // open until the client goes
            const auto deadline = c->lingering ? c->linger_until : c->last_activity + options_.idle_timeout;
            wait = std::min<clock::duration>(wait, deadline > now ? deadline - now : clock::duration::zero());
        }
        const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();

        fds.clear();
        fds.push_back({wake_fd_, POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        fds.push_back({tail_.wake_fd(), POLLIN, 0});
        constexpr size_t first_conn = 3;
        for (const auto& c : conns) {
            short events = 0;
            const size_t pending = c->out.size() - c->sent;
            if (c->proto.streaming()) events |= POLLIN;  // only to see the client go
            else if (c->lingering || (!c->proto.closing() && !c->peer_closed && pending < options_.max_pending_output)) {
                events |= POLLIN;
            }
            if (pending > 0) events |= POLLOUT;
            fds.push_back({c->fd, events, 0});
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(wait_ms, 0, 60000)));
        if (ready < 0 && errno != EINTR) break;
        if (fds[0].revents != 0) break;  // stop()

        if (fds[2].revents != 0) tail_.clear_wake();

        const auto t = clock::now();
        for (size_t i = 0; i < conns.size(); ++i) {
            connection& c = *conns[i];
            const short re = fds[i + first_conn].revents;
            if (c.lingering) {
                if (re != 0) {
                    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
                    if (n > 0) c.discarded += static_cast<size_t>(n);
                    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || c.discarded > linger_bytes) c.done = true;
                }
                if (t >= c.linger_until) c.done = true;
                continue;
            }
            if ((re & (POLLIN | POLLHUP | POLLERR)) != 0 && (fds[i + first_conn].events & POLLIN) != 0) {
                const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
                if (n > 0) {
                    c.last_activity = t;
                    c.proto.feed(std::string_view(buf, static_cast<size_t>(n)), c.out);
                } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                    c.peer_closed = true;
                }
            } else if ((re & (POLLHUP | POLLERR)) != 0) {
                c.done = true;
            }
            pull(c);
            if (c.out.size() > c.sent) {
                const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n > 0) {
                    c.sent += static_cast<size_t>(n);
                    c.last_activity = t;
                    if (c.sent == c.out.size()) {
                        c.out.clear();
                        c.sent = 0;
                    }
                } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    c.done = true;
                }
            }
            pull(c);  // room made: the lines left in the hub go out with the next POLLOUT
            const bool drained = c.out.size() == c.sent;
            if (c.peer_closed && c.proto.streaming()) {
                c.done = true;
            } else if (drained && c.peer_closed) {
                c.done = true;
            } else if (drained && c.proto.closing()) {
                ::shutdown(c.fd, SHUT_WR);
                c.lingering = true;
                c.linger_until = t + linger_time;
                continue;
            }
            if (!c.done && !c.proto.streaming() && t - c.last_activity >= options_.idle_timeout) {
                send_best_effort(c.fd, c.proto.idle_message());
                c.done = true;
            }
        }
        std::erase_if(conns, [](const std::unique_ptr<connection>& c) { return c->done; });

        if ((fds[1].revents & POLLIN) != 0) {
            // Accept everything waiting: clients over the limit hear why and are closed at once.
            for (int k = 0; k < listen_backlog; ++k) {
                const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) break;
                if (conns.size() >= options_.max_connections) {
                    send_best_effort(fd, fmt::format("error: too many connections (limit {}), closing\n",
                                                     options_.max_connections));
                    ::close(fd);
                    continue;
                }
                conns.push_back(std::make_unique<connection>(fd, responder_, options_.limits, t));
            }
        }
    }
}

}  // namespace ipfix::stats
