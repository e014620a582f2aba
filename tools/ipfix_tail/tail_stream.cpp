#include "tail_stream.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ipfix::tail {
namespace {

constexpr size_t max_head = 16 << 10;
constexpr size_t max_error_body = 64 << 10;

class socket_fd {
public:
    explicit socket_fd(int fd) : fd_(fd) {}
    ~socket_fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    socket_fd(const socket_fd&) = delete;
    socket_fd& operator=(const socket_fd&) = delete;
    int get() const { return fd_; }
    int release() {
        const int f = fd_;
        fd_ = -1;
        return f;
    }

private:
    int fd_;
};

timeval to_timeval(std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    return tv;
}

int connect_to(const std::string& host, uint16_t port, std::chrono::milliseconds timeout, std::string& error) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0) {
        error = fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc));
        return -1;
    }
    std::string last = "no address";
    int result = -1;
    for (addrinfo* a = list; a != nullptr && result < 0; a = a->ai_next) {
        socket_fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (fd.get() < 0) {
            last = std::strerror(errno);
            continue;
        }
        // Linux bounds connect() by the send timeout.
        const timeval tv = to_timeval(timeout);
        ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) {
            result = fd.release();
        } else {
            last = errno == EINPROGRESS || errno == EAGAIN ? "timed out" : std::strerror(errno);
        }
    }
    ::freeaddrinfo(list);
    if (result < 0) error = last;
    return result;
}

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

// The daemon's {"error": "..."} body, or the body as it came.
std::string refusal_text(std::string_view body) {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
    std::string text(body.substr(0, 200));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

bool is_unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == ':' || c == '/';
}

}  // namespace

std::string query_part(std::string_view key, std::string_view value) {
    std::string out(key);
    out += '=';
    for (char c : value) {
        if (is_unreserved(c)) out += c;
        else out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
    return out;
}

stream_result follow_lines(const std::string& host, uint16_t port, std::string_view target,
                           std::chrono::milliseconds timeout, const std::function<bool(std::string_view)>& on_line) {
    stream_result r;
    std::string error;
    const std::string where = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                                   : fmt::format("{}:{}", host, port);
    socket_fd fd(connect_to(host, port, timeout, error));
    if (fd.get() < 0) {
        r.error = fmt::format("cannot reach the daemon's stats port at {}: {}", where, error);
        return r;
    }
    if (!send_all(fd.get(), fmt::format("GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: ipfix-tail\r\n\r\n", target, where))) {
        r.error = fmt::format("cannot send the request to {}: {}", where, std::strerror(errno));
        return r;
    }
    std::string in;
    char buf[16384];
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            r.error = n == 0 ? fmt::format("{} closed the connection without an answer", where)
                             : fmt::format("no answer from {}: {}", where, errno == EAGAIN ? "timed out" : std::strerror(errno));
            return r;
        }
        in.append(buf, static_cast<size_t>(n));
        head_end = in.find("\r\n\r\n");
        if (head_end == std::string::npos && in.size() > max_head) {
            r.error = fmt::format("{} does not answer like the stats port (no HTTP head)", where);
            return r;
        }
    }
    if (!in.starts_with("HTTP/1.") || in.size() < 12 || in[8] != ' ') {
        r.error = fmt::format("{} does not answer like the stats port (not HTTP)", where);
        return r;
    }
    r.status = std::atoi(in.c_str() + 9);
    std::string body = in.substr(head_end + 4);
    if (r.status != 200) {
        // The refusal's reason is in its body, read to its end (bounded).
        for (;;) {
            const ssize_t n = body.size() < max_error_body ? ::recv(fd.get(), buf, sizeof buf, 0) : 0;
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            body.append(buf, static_cast<size_t>(n));
        }
        r.refused = true;
        r.error = fmt::format("the daemon at {} refused: {} (HTTP {})", where, refusal_text(body), r.status);
        return r;
    }
    // Records may be far apart: no timeout from here on.
    const timeval none{};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    in = std::move(body);
    for (;;) {
        size_t at = 0;
        for (size_t lf; (lf = in.find('\n', at)) != std::string::npos; at = lf + 1) {
            std::string_view line(in.data() + at, lf - at);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (!on_line(line)) return r;
        }
        in.erase(0, at);
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            r.error = fmt::format("the daemon at {} ended the stream{}", where,
                                  n == 0 ? std::string() : std::string(": ") + std::strerror(errno));
            return r;
        }
        in.append(buf, static_cast<size_t>(n));
    }
}

}  // namespace ipfix::tail
