// The one interface between the lcore loops and an I/O backend (kernel sockets, DPDK ethdev
// ports): the loops take datagrams from a datagram_source and hand output to a datagram_sender,
// and never know which backend is behind them.
//
// Every received datagram is an mbuf whose data is the UDP payload only, with its exporter's
// address and port in the mbuf's private area (origin()); the caller frees it. A source and a
// sender belong to one lcore each (not thread-safe); the backend itself is opened and read by
// the control thread.
//
//   auto backend = make_io_backend(config, env);
//   backend->open(receivers, senders, error);
//   auto rx = backend->source(0);  auto tx = backend->sender(0);
//   n = rx->receive(mbufs, counters);  ...  tx->send(collector, from, datagram);  tx->flush();
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "ipfix/config/config.hpp"
#include "ipfix/io/socket_address.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace ipfix::pipeline {

class dpdk_env;

// One lcore's I/O counters: single writer, copied out by the lcore itself.
struct live_counters {
    uint64_t rx_datagrams = 0;
    uint64_t rx_bytes = 0;
    uint64_t rx_truncated = 0;     // longer than an mbuf's data room: dropped
    uint64_t pool_empty = 0;       // bursts cut short for lack of mbufs
    uint64_t ring_full = 0;        // datagrams dropped at a full worker ring (split layout)
    uint64_t tx_datagrams = 0;
    uint64_t tx_bytes = 0;
    uint64_t tx_dropped = 0;       // send errors, full queues, no mbuf, no route or neighbour
    // Ethernet ports (dpdk backend) only: frames that were not a datagram for us, by reason.
    uint64_t rx_frames = 0;
    uint64_t drop_not_for_us = 0;  // another MAC or IP address
    uint64_t drop_not_ip = 0;      // other ethertypes (LLDP, VLAN tags, ...)
    uint64_t drop_not_udp = 0;     // TCP, ICMP but neighbour discovery, ...
    uint64_t drop_wrong_port = 0;  // UDP to another port
    uint64_t drop_fragment = 0;    // IP fragments (not reassembled)
    uint64_t drop_bad_checksum = 0;
    uint64_t drop_malformed = 0;   // truncated headers, bad lengths, multi-segment frames
    uint64_t arp_replies_sent = 0;       // ARP replies and neighbour advertisements for our addresses
    uint64_t arp_requests_sent = 0;      // ARP requests and neighbour solicitations we sent
    uint64_t neighbour_updates = 0;      // ARP replies and advertisements learnt from
    uint64_t tx_unresolved = 0;          // output dropped for want of a neighbour (or a route)
    uint64_t exception_out = 0;          // other traffic handed to the exception (TAP) interface
    uint64_t exception_in = 0;           // frames from the exception interface sent out the port
    live_counters& operator+=(const live_counters& o);
};

// Why the TX side dropped a collector's datagram.
enum class tx_drop : uint8_t {
    buffer_full,   // a full socket buffer (EAGAIN, ENOBUFS) or TX ring
    // Refused (port or host unreachable: an ICMP error): a datagram the kernel would not send
    // for an earlier one's error, or one sent (and counted as sent) that the ICMP error names.
    // Socket backend only.
    unreachable,
    no_neighbour,  // no ARP/ND answer for the next hop (dpdk backend)
    other,         // no mbuf, too long, another send error
};
inline constexpr size_t tx_drop_count = 4;

// What one lcore's sender did with one collector's datagrams: single writer, summed on read.
struct collector_tx_counters {
    uint64_t datagrams = 0;  // handed to the kernel or the port's TX queue
    uint64_t bytes = 0;      // their payload bytes
    std::array<uint64_t, tx_drop_count> dropped{};

    uint64_t& drop(tx_drop why) { return dropped[static_cast<size_t>(why)]; }
    uint64_t drops() const;  // for every reason
    collector_tx_counters& operator+=(const collector_tx_counters& o);
};

// Backend-wide figures, read by the control thread.
struct backend_counters {
    uint64_t kernel_drops = 0;           // datagrams the kernel dropped at full socket buffers
    uint64_t neighbours_resolved = 0;    // neighbour entries that got a MAC address (ever)
    uint64_t neighbours = 0;             // resolved entries now
    // dpdk ports (rte_eth_stats): frames the port dropped before we saw them (its RX ring full,
    // receive errors, no mbuf for them), and frames it failed to transmit.
    uint64_t port_rx_dropped = 0;
    uint64_t port_tx_errors = 0;
};

// The exporter of a received datagram, kept in the mbuf's private area.
io::socket_address& origin(rte_mbuf* m);

class datagram_source {
public:
    virtual ~datagram_source() = default;
    // Receives at most out.size() datagrams into `out`; counts what it drops in `c`.
    virtual size_t receive(std::span<rte_mbuf*> out, live_counters& c) = 0;
    // Nothing arrived: waits a little (at most about a millisecond) for input.
    virtual void idle() = 0;
};

class datagram_sender {
public:
    virtual ~datagram_sender() = default;
    // Queues one datagram for collector `collector` (index into the config's collectors);
    // `from` is the exporter of the input it came from (kept as source where configured).
    virtual void send(size_t collector, const io::socket_address& from, std::span<const uint8_t> datagram) = 0;
    // Sends what is queued (and what waited for a neighbour, once resolved).
    virtual void flush() = 0;
    virtual live_counters counters() const = 0;
    // Per collector (the config's order); collectors this sender never sends to stay zero.
    virtual std::span<const collector_tx_counters> collector_counters() const = 0;
};

class io_backend {
public:
    virtual ~io_backend() = default;
    // Opens sockets or ports for `receivers` sources and `senders` senders. False with `error`.
    virtual bool open(unsigned receivers, unsigned senders, std::string& error) = 0;
    // Each index once, after open(); the backend outlives them.
    virtual std::unique_ptr<datagram_source> source(unsigned index) = 0;
    virtual std::unique_ptr<datagram_sender> sender(unsigned index) = 0;
    // The UDP port datagrams are taken on (the kernel's pick when configured as 0).
    virtual uint16_t listen_port() const = 0;
    virtual backend_counters counters() const = 0;
    // The MTU of the way toward collector `collector` (the config's order), for `mtu: auto`:
    // the kernel route's (socket) or the port's (dpdk). Nullopt with `error` when it cannot be
    // known. Asked by the control thread after open(), at start and on reload.
    virtual std::optional<uint32_t> path_mtu(size_t collector, std::string& error) const = 0;
    // What the log says on start: "127.0.0.1:2055", "port 0 (02:..:01) 10.77.0.1/24 ...".
    virtual std::string describe() const = 0;
};

// The backend config.io.backend names. `split`: one source feeds every worker over rings.
std::unique_ptr<io_backend> make_socket_backend(const config::daemon_config& c, dpdk_env& env, bool split);

}  // namespace ipfix::pipeline
