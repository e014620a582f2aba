// Receives UDP datagrams in bursts (recvmmsg) from kernel sockets bound to one or more listen
// addresses, into buffers the caller provides (an mbuf's data room, a ring slot): nothing is
// allocated per datagram. Never blocks; when a burst comes back empty, wait on fds() with
// poll/epoll.
//
//   udp_receiver rx;
//   if (!rx.open({.listen = {any4, any6}, .port = 2055, .reuse_port = true})) die(rx.error());
//   std::array<rx_slot, 32> slots = ...;   // data/capacity set by the caller
//   size_t n = rx.receive_burst(slots);    // slots[0..n) filled
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipfix/io/socket_address.hpp"

namespace ipfix::io {

// One datagram's place. The caller sets data and capacity; receive_burst sets the rest.
struct rx_slot {
    uint8_t* data = nullptr;
    uint16_t capacity = 0;
    uint16_t length = 0;     // bytes written to data, at most capacity
    socket_address from;     // the sender's address and port
    bool truncated = false;  // the datagram was longer than capacity; data holds its start
};

struct udp_receiver_options {
    // Wildcards (0.0.0.0, ::) or local addresses, at most one socket each. IPv6 sockets are
    // IPV6_V6ONLY, so 0.0.0.0 and :: bind side by side and IPv4 peers never look like ::ffff:….
    std::vector<proto::ip_address> listen;
    // 0: the kernel picks one port for the first address and the others bind to the same.
    uint16_t port = 0;
    // SO_REUSEPORT: each worker opens its own receiver on the same port and the kernel spreads
    // datagrams over them by a hash of the 4-tuple (one exporter stays on one socket).
    bool reuse_port = false;
    // Bytes of SO_RCVBUF wanted; 0 keeps the system default. SO_RCVBUFFORCE is tried first (it
    // passes net.core.rmem_max with CAP_NET_ADMIN), then SO_RCVBUF, which the kernel caps.
    int receive_buffer = 0;
    // O_NONBLOCK on the sockets. receive_burst never waits either way (MSG_DONTWAIT); this only
    // matters to a caller reading the fds itself.
    bool non_blocking = true;
    // Datagrams per recvmmsg call; longer slot spans are read in several calls.
    size_t max_burst = 64;
};

struct udp_receiver_counters {
    uint64_t datagrams = 0;  // received, truncated ones included
    uint64_t bytes = 0;      // bytes written to slots
    uint64_t truncated = 0;  // datagrams longer than their slot
    uint64_t errors = 0;     // failed recvmmsg calls (other than "nothing to read")
};

class udp_receiver {
public:
    udp_receiver() = default;
    udp_receiver(const udp_receiver&) = delete;
    udp_receiver& operator=(const udp_receiver&) = delete;
    udp_receiver(udp_receiver&& other) noexcept;
    udp_receiver& operator=(udp_receiver&& other) noexcept;
    ~udp_receiver();

    // Creates and binds the sockets. False, with error() naming the address and the reason,
    // when any of them fails (then nothing stays open). Closes what was open before.
    bool open(const udp_receiver_options& options);
    void close();

    // Fills slots[0..n) with the datagrams waiting on the sockets and returns n; 0 when none
    // wait. The sockets are read one after another, a different one first on each call, so a
    // busy socket cannot starve the others.
    size_t receive_burst(std::span<rx_slot> slots);

    // The sockets, in the order of options.listen, for poll/epoll (POLLIN) when idle.
    std::span<const int> fds() const { return fds_; }
    // The bound port (the kernel's pick when options.port was 0).
    uint16_t port() const { return port_; }
    // The smallest receive buffer obtained over the sockets, in the units it was asked in (the
    // kernel reports twice the size for its bookkeeping; this is halved). 0 when not open.
    int receive_buffer() const { return receive_buffer_; }
    // Datagrams the kernel dropped on these sockets since they opened (full buffer), read with
    // SO_MEMINFO: a system call per socket, for the stats thread, not the data path.
    uint64_t kernel_drops() const;

    const udp_receiver_counters& counters() const { return counters_; }
    // errno of the last failed recvmmsg, 0 when none failed.
    int last_errno() const { return last_errno_; }
    const std::string& error() const { return error_; }

private:
    size_t receive_from(int fd, std::span<rx_slot> slots);

    std::vector<int> fds_;
    size_t next_fd_ = 0;
    uint16_t port_ = 0;
    int receive_buffer_ = 0;
    size_t max_burst_ = 0;
    // recvmmsg's arrays, sized max_burst at open and reused for every call.
    std::vector<mmsghdr> headers_;
    std::vector<iovec> vectors_;
    std::vector<sockaddr_storage> names_;
    udp_receiver_counters counters_;
    int last_errno_ = 0;
    std::string error_;
};

}  // namespace ipfix::io
