// Sends UDP datagrams in bursts (sendmmsg) from our own address: one socket per family, each
// bound to a local address (or the wildcard). Never blocks: when the socket buffer is full the
// burst stops and the caller decides what happens to the rest (count it dropped, or retry).
//
//   udp_sender tx;
//   if (!tx.open({})) die(tx.error());         // both families, addresses picked by the kernel
//   size_t sent = tx.send_burst(items);         // items[sent..) were not sent
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ipfix/io/socket_address.hpp"

namespace ipfix::io {

// One datagram to send; the bytes stay the caller's and are not copied before the call returns.
struct tx_item {
    const uint8_t* data = nullptr;
    uint16_t length = 0;
    socket_address to;
};

struct udp_sender_options {
    // The local address and port each family's socket binds to; nullopt leaves that family
    // closed (items to it are counted as errors). Wildcard and port 0: the kernel picks.
    std::optional<socket_address> source_v4 = socket_address::any(4);
    std::optional<socket_address> source_v6 = socket_address::any(6);
    // Bytes of SO_SNDBUF wanted; 0 keeps the system default (SO_SNDBUFFORCE tried first).
    int send_buffer = 0;
    // Datagrams per sendmmsg call.
    size_t max_burst = 64;
    // Connects the socket of this address's family to it and asks for its ICMP errors
    // (IP_RECVERR): a sender per destination then knows which destination refuses, and
    // read_errors() counts each datagram refused after it was sent.
    std::optional<socket_address> peer;
};

struct udp_sender_counters {
    uint64_t datagrams = 0;    // handed to the kernel
    uint64_t bytes = 0;        // their payload bytes
    uint64_t errors = 0;       // items dropped: a send error for that datagram, or no socket of its family
    uint64_t unreachable = 0;  // of the errors: ECONNREFUSED, EHOSTUNREACH, ENETUNREACH (an ICMP error)
    uint64_t refused = 0;      // datagrams sent (and counted above) that an ICMP error says were refused
    uint64_t would_block = 0;  // bursts cut short by a full socket buffer (EAGAIN, ENOBUFS)
};

class udp_sender {
public:
    udp_sender() = default;
    udp_sender(const udp_sender&) = delete;
    udp_sender& operator=(const udp_sender&) = delete;
    udp_sender(udp_sender&& other) noexcept;
    udp_sender& operator=(udp_sender&& other) noexcept;
    ~udp_sender();

    // False, with error(), when a socket cannot be created, configured or bound.
    bool open(const udp_sender_options& options);
    void close();

    // Sends items in order, in runs of one family per sendmmsg, and returns how many were
    // dealt with: items[0..n) were sent, or dropped one by one for an error of their own
    // (EMSGSIZE, unreachable, no socket of the family: counters().errors). It stops early only
    // when the socket buffer is full; items[n..) were then not sent and are the caller's.
    size_t send_burst(std::span<const tx_item> items);

    // With a peer: takes the ICMP errors the kernel queued for datagrams sent (port or host
    // unreachable) into counters().refused. Never blocks; one system call when there are none.
    void read_errors();

    // The socket of family 4 or 6 (-1 when closed), e.g. to poll for POLLOUT.
    int fd(uint8_t family) const { return family == 4 ? fd4_ : family == 6 ? fd6_ : -1; }
    // The address a family's socket is bound to (the kernel's port pick), empty when closed.
    socket_address local_address(uint8_t family) const;
    // The smallest send buffer obtained (halved as the kernel reports it). 0 when not open.
    int send_buffer() const { return send_buffer_; }

    const udp_sender_counters& counters() const { return counters_; }
    // errno of the last failed send, 0 when none failed.
    int last_errno() const { return last_errno_; }
    const std::string& error() const { return error_; }

private:
    bool open_family(const socket_address& local, int send_buffer, int& fd);
    // Sends a run of items of one family; returns how many were dealt with, as send_burst.
    size_t send_run(int fd, std::span<const tx_item> run, bool& blocked);

    int fd4_ = -1;
    int fd6_ = -1;
    int error_fd_ = -1;  // the connected socket, whose ICMP errors are queued
    int send_buffer_ = 0;
    size_t max_burst_ = 0;
    std::vector<mmsghdr> headers_;
    std::vector<iovec> vectors_;
    std::vector<sockaddr_storage> names_;
    udp_sender_counters counters_;
    int last_errno_ = 0;
    std::string error_;
};

}  // namespace ipfix::io
