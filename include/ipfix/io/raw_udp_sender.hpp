// Sends UDP datagrams with a source address and port of our choosing (the exporter's), for
// collectors that key templates and sequence numbers on the exporter's address. We write the
// IP and UDP headers ourselves on raw sockets: IPv4 with IP_HDRINCL, IPv6 on an IPPROTO_RAW
// socket with IPV6_HDRINCL (Linux >= 4.5). Needs CAP_NET_RAW. The payload is not copied: each
// datagram goes out as two pieces, our headers and the caller's bytes.
//
// No fragmentation here: the mediator splits messages at the MTU, and the kernel refuses a
// header-included packet longer than the route's MTU (EMSGSIZE, counted as an error).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipfix/io/socket_address.hpp"

namespace ipfix::io {

// The largest UDP payload in one IPv4 datagram (65535 - 20 - 8), applied to IPv6 too.
inline constexpr size_t max_udp_payload = 65507;
// Room for the largest header block written: IPv6 (40) + UDP (8).
inline constexpr size_t max_raw_header = 48;

struct raw_tx_item {
    const uint8_t* data = nullptr;
    uint16_t length = 0;
    socket_address from;  // written as the packet's source: need not be one of ours
    socket_address to;    // same family as from
};

// Writes the IPv4 (20 bytes, no options) or IPv6 (40) header and the UDP header (8) for the
// item, checksums included, and returns their length: 28 or 48. Returns 0 when the item cannot
// be sent: empty or mixed families, or a payload over max_udp_payload. The IPv4 identification
// is left 0 for the kernel to pick; the header checksum is computed over that.
size_t build_udp_headers(const raw_tx_item& item, std::span<uint8_t, max_raw_header> out, uint8_t hop_limit = 64);

struct raw_udp_sender_options {
    bool ipv4 = true;
    bool ipv6 = true;
    int send_buffer = 0;    // bytes of SO_SNDBUF wanted; 0 keeps the default
    uint8_t hop_limit = 64;  // IPv4 TTL and IPv6 hop limit
    size_t max_burst = 64;  // datagrams per sendmmsg call
};

struct raw_udp_sender_counters {
    uint64_t datagrams = 0;    // handed to the kernel
    uint64_t bytes = 0;        // their payload bytes (headers not counted)
    uint64_t errors = 0;       // items dropped: refused (see oversize), a send error, no socket of the family
    uint64_t oversize = 0;     // of the errors: payload over max_udp_payload
    uint64_t unreachable = 0;  // of the errors: EHOSTUNREACH, ENETUNREACH, ... (an ICMP error)
    uint64_t would_block = 0;  // bursts cut short by a full socket buffer (EAGAIN, ENOBUFS)
};

class raw_udp_sender {
public:
    raw_udp_sender() = default;
    raw_udp_sender(const raw_udp_sender&) = delete;
    raw_udp_sender& operator=(const raw_udp_sender&) = delete;
    raw_udp_sender(raw_udp_sender&& other) noexcept;
    raw_udp_sender& operator=(raw_udp_sender&& other) noexcept;
    ~raw_udp_sender();

    // False with error() when a raw socket cannot be had; without CAP_NET_RAW the message says
    // so. Startup code reports it and runs without source-address keeping, or stops.
    bool open(const raw_udp_sender_options& options);
    void close();

    // As udp_sender::send_burst: returns n, items[0..n) sent or dropped one by one with a counted
    // error; it stops early only when the socket buffer is full and items[n..) are the caller's.
    size_t send_burst(std::span<const raw_tx_item> items);

    int fd(uint8_t family) const { return family == 4 ? fd4_ : family == 6 ? fd6_ : -1; }
    const raw_udp_sender_counters& counters() const { return counters_; }
    int last_errno() const { return last_errno_; }
    const std::string& error() const { return error_; }

private:
    size_t send_run(int fd, std::span<const raw_tx_item> run, bool& blocked);

    int fd4_ = -1;
    int fd6_ = -1;
    uint8_t hop_limit_ = 64;
    size_t max_burst_ = 0;
    std::vector<std::array<uint8_t, max_raw_header>> ip_headers_;
    std::vector<mmsghdr> headers_;
    std::vector<iovec> vectors_;  // two per datagram: our headers, the payload
    std::vector<sockaddr_storage> names_;
    raw_udp_sender_counters counters_;
    int last_errno_ = 0;
    std::string error_;
};

}  // namespace ipfix::io
