#include "http_get.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace ipfix::tools {
namespace {

using steady = std::chrono::steady_clock;

class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

int remaining_ms(steady::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd until the deadline: "" when ready, else why not.
std::string wait_for(int fd, short events, steady::time_point deadline) {
    pollfd p{fd, events, 0};
    for (;;) {
        const int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) return {};
        if (n == 0) return "timed out";
        if (errno != EINTR) return std::strerror(errno);
    }
}

std::string connect_to(const std::string& host, uint16_t port, steady::time_point deadline, int& fd_out) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
        return std::string("resolve ") + host + ": " + ::gai_strerror(rc);
    }
    std::string why = "no address";
    for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            why = std::strerror(errno);
            continue;
        }
        int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            why = wait_for(fd, POLLOUT, deadline);
            if (why.empty()) {
                int err = 0;
                socklen_t len = sizeof err;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                rc = err == 0 ? 0 : -1;
                if (err != 0) why = std::strerror(err);
            }
        } else if (rc != 0) {
            why = std::strerror(errno);
        }
        if (rc == 0) {
            ::freeaddrinfo(list);
            fd_out = fd;
            return {};
        }
        ::close(fd);
    }
    ::freeaddrinfo(list);
    return "connect: " + why;
}

}  // namespace

http_result http_get(const std::string& host, uint16_t port, std::string_view path, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    http_result r;
    int raw = -1;
    if (r.error = connect_to(host, port, deadline, raw); !r.error.empty()) return r;
    fd_guard fd(raw);

    std::string request = "GET ";
    request += path;
    request += " HTTP/1.0\r\nHost: ";
    request += host;
    request += "\r\nConnection: close\r\n\r\n";
    size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (r.error = wait_for(fd.get(), POLLOUT, deadline); !r.error.empty()) return r;
        } else {
            r.error = std::string("send: ") + std::strerror(errno);
            return r;
        }
    }

    constexpr size_t max_reply = 16u << 20;  // far above any stats answer: a bound, not a limit in use
    std::string reply;
    char buf[16384];
    for (;;) {
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n > 0) {
            reply.append(buf, static_cast<size_t>(n));
            if (reply.size() > max_reply) {
                r.error = "reply too large";
                return r;
            }
        } else if (n == 0) {
            break;
        } else if (errno == EAGAIN || errno == EINTR) {
            if (auto why = wait_for(fd.get(), POLLIN, deadline); !why.empty()) {
                r.error = "read: " + why;
                return r;
            }
        } else {
            r.error = std::string("read: ") + std::strerror(errno);
            return r;
        }
    }

    // "HTTP/1.x NNN reason\r\n...\r\n\r\nbody"
    const size_t head_end = reply.find("\r\n\r\n");
    if (reply.compare(0, 5, "HTTP/") != 0 || reply.size() < 12 || head_end == std::string::npos) {
        r.error = reply.empty() ? "closed without an answer" : "not an HTTP answer";
        return r;
    }
    const size_t space = reply.find(' ');
    int status = 0;
    const char* first = reply.data() + space + 1;
    if (auto [p, ec] = std::from_chars(first, first + 3, status); ec != std::errc() || p != first + 3) {
        r.error = "bad HTTP status line";
        return r;
    }
    r.status = status;
    r.body = reply.substr(head_end + 4);
    return r;
}

std::string endpoint::text() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string s = v6 ? "[" + host + "]" : host;
    s += ':';
    s += std::to_string(port);
    return s;
}

bool parse_endpoint(std::string_view s, endpoint& out) {
    std::string_view host = s;
    std::string_view port;
    if (!s.empty() && s.front() == '[') {
        const size_t close = s.find(']');
        if (close == std::string_view::npos) return false;
        host = s.substr(1, close - 1);
        const std::string_view rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
        }
    } else if (const size_t colon = s.rfind(':'); colon != std::string_view::npos) {
        if (s.find(':') != colon) return false;  // a bare IPv6 address needs brackets
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    if (!host.empty()) out.host = std::string(host);
    if (s.find(':') != std::string_view::npos && port.empty() && s.front() != '[') return false;
    if (!port.empty()) {
        unsigned value = 0;
        auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) return false;
        out.port = static_cast<uint16_t>(value);
    }
    return !out.host.empty();
}

}  // namespace ipfix::tools
