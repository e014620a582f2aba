#include "live_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <vector>

namespace ipfix::dump {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

// The poll timeout bounds how long a signal can go unnoticed.
constexpr int poll_timeout_ms = 200;
constexpr int receive_buffer_bytes = 8 << 20;

uint64_t wall_clock_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

class socket_fd {
public:
    explicit socket_fd(int fd) : fd_(fd) {}
    socket_fd(const socket_fd&) = delete;
    socket_fd& operator=(const socket_fd&) = delete;
    ~socket_fd() {
        if (fd_ >= 0) close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

proto::exporter_endpoint endpoint_of(const sockaddr_storage& ss) {
    proto::exporter_endpoint e;
    if (ss.ss_family == AF_INET) {
        sockaddr_in a;
        std::memcpy(&a, &ss, sizeof a);
        e.address = proto::ip_address::v4(reinterpret_cast<const uint8_t*>(&a.sin_addr));
        e.port = ntohs(a.sin_port);
    } else if (ss.ss_family == AF_INET6) {
        sockaddr_in6 a;
        std::memcpy(&a, &ss, sizeof a);
        // An IPv4 exporter reaching a dual-stack socket is still an IPv4 exporter.
        if (IN6_IS_ADDR_V4MAPPED(&a.sin6_addr)) {
            e.address = proto::ip_address::v4(reinterpret_cast<const uint8_t*>(&a.sin6_addr) + 12);
        } else {
            e.address = proto::ip_address::v6(reinterpret_cast<const uint8_t*>(&a.sin6_addr));
        }
        e.port = ntohs(a.sin6_port);
    }
    return e;
}

}  // namespace

std::optional<proto::exporter_endpoint> parse_listen_address(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
    }
    const std::optional<proto::ip_address> address = proto::ip_address::parse(host);
    if (!address) return std::nullopt;
    if (text.front() == '[' && address->family != 6) return std::nullopt;
    uint16_t number = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), number);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size()) return std::nullopt;
    return proto::exporter_endpoint{*address, number};
}

bool run_live(const proto::exporter_endpoint& listen, dump_session& session, std::string& error) {
    const bool v6 = listen.address.family == 6;
    socket_fd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0));
    if (fd.get() < 0) {
        error = std::strerror(errno);
        return false;
    }
    int size = receive_buffer_bytes;
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);  // best effort
    sockaddr_storage ss{};
    socklen_t ss_len = 0;
    if (v6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(listen.port);
        std::memcpy(&a.sin6_addr, listen.address.bytes.data(), 16);
        std::memcpy(&ss, &a, sizeof a);
        ss_len = sizeof a;
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(listen.port);
        std::memcpy(&a.sin_addr, listen.address.bytes.data(), 4);
        std::memcpy(&ss, &a, sizeof a);
        ss_len = sizeof a;
    }
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&ss), ss_len) != 0) {
        error = std::strerror(errno);
        return false;
    }

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    std::vector<uint8_t> buffer(65536);
    while (stop_requested == 0) {
        pollfd p{fd.get(), POLLIN, 0};
        const int ready = poll(&p, 1, poll_timeout_ms);
        if (ready <= 0) continue;  // timeout or EINTR: look at the flag again
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        const ssize_t n = recvfrom(fd.get(), buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from),
                                   &from_len);
        if (n < 0) continue;
        session.count_received();
        session.feed_datagram(endpoint_of(from), std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)),
                              wall_clock_ms(), std::nullopt);
        session.flush();
    }
    return true;
}

}  // namespace ipfix::dump
