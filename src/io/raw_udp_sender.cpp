#include "ipfix/io/raw_udp_sender.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "ipfix/io/udp_checksum.hpp"
#include "ipfix/proto/byte_order.hpp"
#include "socket_options.hpp"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36  // <linux/in6.h>, Linux 4.5
#endif

namespace ipfix::io {

using proto::store_be16;

size_t build_udp_headers(const raw_tx_item& item, std::span<uint8_t, max_raw_header> out, uint8_t hop_limit) {
    const uint8_t family = item.from.address.family;
    if ((family != 4 && family != 6) || item.to.address.family != family || item.length > max_udp_payload) return 0;
    const size_t ip_length = family == 4 ? 20 : 40;
    const uint16_t udp_length = static_cast<uint16_t>(8 + item.length);
    uint8_t* ip = out.data();
    std::memset(ip, 0, ip_length);
    if (family == 4) {
        ip[0] = 0x45;  // version 4, 5 words
        store_be16(ip + 2, static_cast<uint16_t>(ip_length + udp_length));
        // Identification 0 and no DF: the kernel picks an id; routers on the way may fragment.
        ip[8] = hop_limit;
        ip[9] = IPPROTO_UDP;
        std::memcpy(ip + 12, item.from.address.bytes.data(), 4);
        std::memcpy(ip + 16, item.to.address.bytes.data(), 4);
        store_be16(ip + 10, internet_checksum({ip, 20}));
    } else {
        ip[0] = 0x60;  // version 6, traffic class and flow label 0
        store_be16(ip + 4, udp_length);
        ip[6] = IPPROTO_UDP;
        ip[7] = hop_limit;
        std::memcpy(ip + 8, item.from.address.bytes.data(), 16);
        std::memcpy(ip + 24, item.to.address.bytes.data(), 16);
    }
    uint8_t* udp = ip + ip_length;
    store_be16(udp, item.from.port);
    store_be16(udp + 2, item.to.port);
    store_be16(udp + 4, udp_length);
    store_be16(udp + 6, udp_checksum(item.from.address, item.from.port, item.to.address, item.to.port,
                                     {item.data, item.length}));
    return ip_length + 8;
}

raw_udp_sender::raw_udp_sender(raw_udp_sender&& other) noexcept { *this = std::move(other); }

raw_udp_sender& raw_udp_sender::operator=(raw_udp_sender&& other) noexcept {
    if (this != &other) {
        close();
        fd4_ = std::exchange(other.fd4_, -1);
        fd6_ = std::exchange(other.fd6_, -1);
        hop_limit_ = other.hop_limit_;
        max_burst_ = std::exchange(other.max_burst_, 0);
        ip_headers_ = std::move(other.ip_headers_);
        headers_ = std::move(other.headers_);
        vectors_ = std::move(other.vectors_);
        names_ = std::move(other.names_);
        counters_ = std::exchange(other.counters_, {});
        last_errno_ = std::exchange(other.last_errno_, 0);
        error_ = std::move(other.error_);
    }
    return *this;
}

raw_udp_sender::~raw_udp_sender() { close(); }

void raw_udp_sender::close() {
    if (fd4_ >= 0) ::close(fd4_);
    if (fd6_ >= 0) ::close(fd6_);
    fd4_ = fd6_ = -1;
}

namespace {

std::string raw_socket_error(const char* family, int err) {
    std::string message = std::string("raw ") + family + " socket (to keep exporters' source addresses)";
    if (err == EPERM || err == EACCES) message += " needs CAP_NET_RAW";
    return detail::describe(message, err);
}

}  // namespace

bool raw_udp_sender::open(const raw_udp_sender_options& options) {
    close();
    error_.clear();
    if (!options.ipv4 && !options.ipv6) {
        error_ = "raw UDP sender: neither IPv4 nor IPv6 enabled";
        return false;
    }
    const int one = 1;
    const int type = SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK;
    if (options.ipv4) {
        // IPPROTO_RAW: send only, and IP_HDRINCL implied (set anyway, to say what we rely on).
        fd4_ = ::socket(AF_INET, type, IPPROTO_RAW);
        if (fd4_ < 0) {
            error_ = raw_socket_error("IPv4", errno);
            close();
            return false;
        }
        if (setsockopt(fd4_, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) != 0) {
            error_ = detail::describe("raw IPv4 socket (IP_HDRINCL)", errno);
            close();
            return false;
        }
    }
    if (options.ipv6) {
        fd6_ = ::socket(AF_INET6, type, IPPROTO_RAW);
        if (fd6_ < 0) {
            error_ = raw_socket_error("IPv6", errno);
            close();
            return false;
        }
        if (setsockopt(fd6_, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof one) != 0) {
            error_ = detail::describe("raw IPv6 socket (IPV6_HDRINCL, Linux >= 4.5)", errno);
            close();
            return false;
        }
    }
    for (int fd : {fd4_, fd6_}) {
        if (fd >= 0 && options.send_buffer > 0 &&
            !detail::request_buffer(fd, detail::buffer_kind::send, options.send_buffer)) {
            error_ = detail::describe("raw socket (SO_SNDBUF)", errno);
            close();
            return false;
        }
    }
    hop_limit_ = options.hop_limit;
    max_burst_ = std::clamp<size_t>(options.max_burst, 1, 1024);
    ip_headers_.assign(max_burst_, {});
    headers_.assign(max_burst_, mmsghdr{});
    vectors_.assign(2 * max_burst_, iovec{});
    names_.assign(max_burst_, sockaddr_storage{});
    return true;
}

size_t raw_udp_sender::send_burst(std::span<const raw_tx_item> items) {
    return detail::send_by_family(
        items, [this](uint8_t family) { return fd(family); },
        [this](int f, std::span<const raw_tx_item> run, bool& blocked) { return send_run(f, run, blocked); }, counters_);
}

size_t raw_udp_sender::send_run(int fd, std::span<const raw_tx_item> run, bool& blocked) {
    size_t done = 0;
    // Each turn sends at least one datagram, drops one, or stops: at most run.size() turns.
    while (done < run.size()) {
        size_t want = 0;
        for (; want < max_burst_ && done + want < run.size(); ++want) {
            const raw_tx_item& item = run[done + want];
            const size_t header_length = build_udp_headers(item, ip_headers_[want], hop_limit_);
            if (header_length == 0) break;  // sent up to here; the refused one is dropped next turn
            vectors_[2 * want] = {ip_headers_[want].data(), header_length};
            vectors_[2 * want + 1] = {const_cast<uint8_t*>(item.data), item.length};
            msghdr& h = headers_[want].msg_hdr;
            h = {};
            h.msg_name = &names_[want];
            // Port 0: on a raw IPv6 socket the port field would name the next header.
            h.msg_namelen = socket_address{item.to.address, 0}.to_sockaddr(names_[want]);
            h.msg_iov = &vectors_[2 * want];
            h.msg_iovlen = 2;
        }
        if (want == 0) {
            ++counters_.errors;
            if (run[done].length > max_udp_payload) ++counters_.oversize;
            ++done;
            continue;
        }
        const int sent = ::sendmmsg(fd, headers_.data(), static_cast<unsigned>(want), MSG_DONTWAIT);
        if (sent < 0) {
            const int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR) {
                blocked = true;
                return done;
            }
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
        for (size_t k = 0; k < static_cast<size_t>(sent); ++k) counters_.bytes += run[done + k].length;
        counters_.datagrams += static_cast<uint64_t>(sent);
        done += static_cast<size_t>(sent);
    }
    return done;
}

}  // namespace ipfix::io
