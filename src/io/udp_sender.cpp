#include "ipfix/io/udp_sender.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "socket_options.hpp"

namespace ipfix::io {

udp_sender::udp_sender(udp_sender&& other) noexcept { *this = std::move(other); }

udp_sender& udp_sender::operator=(udp_sender&& other) noexcept {
    if (this != &other) {
        close();
        fd4_ = std::exchange(other.fd4_, -1);
        fd6_ = std::exchange(other.fd6_, -1);
        error_fd_ = std::exchange(other.error_fd_, -1);
        send_buffer_ = std::exchange(other.send_buffer_, 0);
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

udp_sender::~udp_sender() { close(); }

void udp_sender::close() {
    if (fd4_ >= 0) ::close(fd4_);
    if (fd6_ >= 0) ::close(fd6_);
    fd4_ = fd6_ = error_fd_ = -1;
    send_buffer_ = 0;
}

bool udp_sender::open_family(const socket_address& local, int send_buffer, int& fd) {
    const std::string where = "UDP send socket " + local.to_string();
    if (local.address.family != 4 && local.address.family != 6) {
        error_ = where + ": no address";
        return false;
    }
    fd = ::socket(local.address.family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_ = detail::describe(where, errno);
        return false;
    }
    const int one = 1;
    if (local.address.family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
        error_ = detail::describe(where + " (IPV6_V6ONLY)", errno);
        return false;
    }
    if (send_buffer > 0 && !detail::request_buffer(fd, detail::buffer_kind::send, send_buffer)) {
        error_ = detail::describe(where + " (SO_SNDBUF)", errno);
        return false;
    }
    sockaddr_storage ss{};
    const socklen_t length = local.to_sockaddr(ss);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), length) != 0) {
        error_ = detail::describe("cannot bind " + where, errno);
        return false;
    }
    const int size = detail::buffer_size(fd, detail::buffer_kind::send);
    send_buffer_ = send_buffer_ == 0 ? size : std::min(send_buffer_, size);
    return true;
}

bool udp_sender::open(const udp_sender_options& options) {
    close();
    error_.clear();
    if (!options.source_v4 && !options.source_v6) {
        error_ = "UDP sender: neither IPv4 nor IPv6 enabled";
        return false;
    }
    if ((options.source_v4 && options.source_v4->address.family != 4) ||
        (options.source_v6 && options.source_v6->address.family != 6)) {
        error_ = "UDP sender: a source address of the wrong family";
        return false;
    }
    if ((options.source_v4 && !open_family(*options.source_v4, options.send_buffer, fd4_)) ||
        (options.source_v6 && !open_family(*options.source_v6, options.send_buffer, fd6_))) {
        close();
        return false;
    }
    if (options.peer) {
        const int f = fd(options.peer->address.family);
        sockaddr_storage ss{};
        const socklen_t length = options.peer->to_sockaddr(ss);
        const int one = 1;
        const bool v4 = options.peer->address.family == 4;
        if (f < 0 || ::connect(f, reinterpret_cast<const sockaddr*>(&ss), length) != 0 ||
            setsockopt(f, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_RECVERR : IPV6_RECVERR, &one, sizeof one) != 0) {
            std::string what = "cannot connect the UDP send socket to ";
            what += options.peer->to_string();
            error_ = detail::describe(what, f < 0 ? EAFNOSUPPORT : errno);
            close();
            return false;
        }
        error_fd_ = f;
    }
    max_burst_ = std::clamp<size_t>(options.max_burst, 1, 1024);
    headers_.assign(max_burst_, mmsghdr{});
    vectors_.assign(max_burst_, iovec{});
    names_.assign(max_burst_, sockaddr_storage{});
    return true;
}

socket_address udp_sender::local_address(uint8_t family) const {
    const int f = fd(family);
    if (f < 0) return {};
    sockaddr_storage ss{};
    socklen_t length = sizeof ss;
    if (getsockname(f, reinterpret_cast<sockaddr*>(&ss), &length) != 0) return {};
    return socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), length).value_or(socket_address{});
}

void udp_sender::read_errors() {
    if (error_fd_ < 0) return;
    // Bounded: the kernel keeps at most a receive buffer's worth of errors anyway.
    for (int i = 0; i < 1024; ++i) {
        std::array<uint8_t, 256> control{};
        msghdr h{};
        h.msg_control = control.data();
        h.msg_controllen = control.size();
        if (::recvmsg(error_fd_, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;  // EAGAIN: none left
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
            const bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
            const bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
            if (!v4 && !v6) continue;
            sock_extended_err e{};
            std::memcpy(&e, CMSG_DATA(c), sizeof e);
            const bool icmp = e.ee_origin == SO_EE_ORIGIN_ICMP || e.ee_origin == SO_EE_ORIGIN_ICMP6;
            if (icmp && detail::is_unreachable(static_cast<int>(e.ee_errno))) ++counters_.refused;
        }
    }
}

size_t udp_sender::send_burst(std::span<const tx_item> items) {
    return detail::send_by_family(
        items, [this](uint8_t family) { return fd(family); },
        [this](int f, std::span<const tx_item> run, bool& blocked) { return send_run(f, run, blocked); }, counters_);
}

size_t udp_sender::send_run(int fd, std::span<const tx_item> run, bool& blocked) {
    size_t done = 0;
    // Each turn sends at least one datagram, drops one, or stops: at most run.size() turns.
    while (done < run.size()) {
        const size_t want = std::min(max_burst_, run.size() - done);
        for (size_t k = 0; k < want; ++k) {
            const tx_item& item = run[done + k];
            // sendmmsg does not write through iov_base; the cast only meets iovec's type.
            vectors_[k] = {const_cast<uint8_t*>(item.data), item.length};
            msghdr& h = headers_[k].msg_hdr;
            h = {};
            h.msg_name = &names_[k];
            h.msg_namelen = item.to.to_sockaddr(names_[k]);
            h.msg_iov = &vectors_[k];
            h.msg_iovlen = 1;
        }
        const int sent = ::sendmmsg(fd, headers_.data(), static_cast<unsigned>(want), MSG_DONTWAIT);
        if (sent < 0) {
            const int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR) {
                blocked = true;
                return done;
            }
            // The first datagram of this call failed on its own: drop it and go on.
            ++counters_.errors;
            if (detail::is_unreachable(err)) ++counters_.unreachable;
            last_errno_ = err;
            ++done;
            continue;
        }
        if (sent == 0) {  // not seen from Linux; stops rather than spins if it ever happens
            blocked = true;
            return done;
        }
        // Fewer than asked: the next call starts at the one that failed and reports why.
        for (size_t k = 0; k < static_cast<size_t>(sent); ++k) counters_.bytes += run[done + k].length;
        counters_.datagrams += static_cast<uint64_t>(sent);
        done += static_cast<size_t>(sent);
    }
    return done;
}

}  // namespace ipfix::io
