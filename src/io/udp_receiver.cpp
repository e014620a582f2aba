#include "ipfix/io/udp_receiver.hpp"

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "socket_options.hpp"

namespace ipfix::io {

udp_receiver::udp_receiver(udp_receiver&& other) noexcept { *this = std::move(other); }

udp_receiver& udp_receiver::operator=(udp_receiver&& other) noexcept {
    if (this != &other) {
        close();
        fds_ = std::exchange(other.fds_, {});
        next_fd_ = std::exchange(other.next_fd_, 0);
        port_ = std::exchange(other.port_, 0);
        receive_buffer_ = std::exchange(other.receive_buffer_, 0);
        max_burst_ = std::exchange(other.max_burst_, 0);
        headers_ = std::move(other.headers_);
        vectors_ = std::move(other.vectors_);
        names_ = std::move(other.names_);
        counters_ = std::exchange(other.counters_, {});
        last_errno_ = std::exchange(other.last_errno_, 0);
        error_ = std::move(other.error_);
    }
    return *this;
}

udp_receiver::~udp_receiver() { close(); }

void udp_receiver::close() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
    next_fd_ = 0;
    port_ = 0;
    receive_buffer_ = 0;
}

bool udp_receiver::open(const udp_receiver_options& options) {
    close();
    error_.clear();
    if (options.listen.empty()) {
        error_ = "no listen address";
        return false;
    }
    // The kernel takes at most UIO_MAXIOV (1024) messages per recvmmsg.
    max_burst_ = std::clamp<size_t>(options.max_burst, 1, 1024);
    port_ = options.port;
    int smallest_buffer = 0;
    for (const proto::ip_address& address : options.listen) {
        const socket_address local{address, port_};
        const std::string where = "UDP listen socket " + local.to_string();
        if (address.family != 4 && address.family != 6) {
            error_ = where + ": no address";
            close();
            return false;
        }
        const int type = SOCK_DGRAM | SOCK_CLOEXEC | (options.non_blocking ? SOCK_NONBLOCK : 0);
        const int fd = ::socket(address.family == 4 ? AF_INET : AF_INET6, type, 0);
        if (fd < 0) {
            error_ = detail::describe(where, errno);
            close();
            return false;
        }
        fds_.push_back(fd);
        const int one = 1;
        if (address.family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
            error_ = detail::describe(where + " (IPV6_V6ONLY)", errno);
            close();
            return false;
        }
        if (options.reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            error_ = detail::describe(where + " (SO_REUSEPORT)", errno);
            close();
            return false;
        }
        if (options.receive_buffer > 0 &&
            !detail::request_buffer(fd, detail::buffer_kind::receive, options.receive_buffer)) {
            error_ = detail::describe(where + " (SO_RCVBUF)", errno);
            close();
            return false;
        }
        sockaddr_storage ss{};
        const socklen_t length = local.to_sockaddr(ss);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), length) != 0) {
            error_ = detail::describe("cannot bind " + where, errno);
            close();
            return false;
        }
        if (port_ == 0) {
            socklen_t bound_length = sizeof ss;
            if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &bound_length) != 0) {
                error_ = detail::describe(where + " (getsockname)", errno);
                close();
                return false;
            }
            const auto bound = socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), bound_length);
            port_ = bound ? bound->port : 0;
        }
        const int size = detail::buffer_size(fd, detail::buffer_kind::receive);
        smallest_buffer = smallest_buffer == 0 ? size : std::min(smallest_buffer, size);
    }
    receive_buffer_ = smallest_buffer;
    headers_.assign(max_burst_, mmsghdr{});
    vectors_.assign(max_burst_, iovec{});
    names_.assign(max_burst_, sockaddr_storage{});
    return true;
}

size_t udp_receiver::receive_burst(std::span<rx_slot> slots) {
    const size_t sockets = fds_.size();
    size_t filled = 0;
    for (size_t k = 0; k < sockets && filled < slots.size(); ++k)
        filled += receive_from(fds_[(next_fd_ + k) % sockets], slots.subspan(filled));
    if (sockets) next_fd_ = (next_fd_ + 1) % sockets;
    return filled;
}

size_t udp_receiver::receive_from(int fd, std::span<rx_slot> slots) {
    size_t done = 0;
    while (done < slots.size()) {
        const size_t want = std::min(max_burst_, slots.size() - done);
        for (size_t i = 0; i < want; ++i) {
            rx_slot& slot = slots[done + i];
            vectors_[i] = {slot.data, slot.capacity};
            msghdr& h = headers_[i].msg_hdr;
            h = {};
            h.msg_name = &names_[i];
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_iov = &vectors_[i];
            h.msg_iovlen = 1;
            headers_[i].msg_len = 0;
        }
        const int got = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
        if (got < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ++counters_.errors;
                last_errno_ = errno;
            }
            break;
        }
        const size_t n = static_cast<size_t>(got);
        for (size_t i = 0; i < n; ++i) {
            rx_slot& slot = slots[done + i];
            const msghdr& h = headers_[i].msg_hdr;
            // Without MSG_TRUNC in the call's flags msg_len is what was copied, never more than
            // the slot; the flag on the message says the datagram was longer.
            slot.length = static_cast<uint16_t>(std::min<size_t>(headers_[i].msg_len, slot.capacity));
            slot.truncated = (h.msg_flags & MSG_TRUNC) != 0;
            const auto from = socket_address::from_sockaddr(static_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
            slot.from = from ? *from : socket_address{};
            counters_.bytes += slot.length;
            counters_.truncated += slot.truncated;
        }
        counters_.datagrams += n;
        done += n;
        if (n < want) break;
    }
    return done;
}

uint64_t udp_receiver::kernel_drops() const {
    uint64_t drops = 0;
    for (int fd : fds_) {
        uint32_t info[SK_MEMINFO_VARS] = {};
        socklen_t length = sizeof info;
        if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &length) == 0 && length > SK_MEMINFO_DROPS * sizeof(uint32_t))
            drops += info[SK_MEMINFO_DROPS];
    }
    return drops;
}

}  // namespace ipfix::io
