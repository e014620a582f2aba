// The socket backend: kernel UDP sockets (recvmmsg) bound to the listen address, one
// SO_REUSEPORT socket per source in the fused layout; output by sendmmsg from our own socket,
// or by the raw socket where a collector keeps the exporter's source address.
#include <poll.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "ipfix/io/path_mtu.hpp"
#include "ipfix/io/raw_udp_sender.hpp"
#include "ipfix/io/udp_receiver.hpp"
#include "ipfix/io/udp_sender.hpp"
#include "ipfix/pipeline/dpdk_env.hpp"
#include "ipfix/pipeline/io_backend.hpp"

namespace ipfix::pipeline {
namespace {

// An output datagram is copied into one mbuf: a collector's largest MTU must fit its data room.
static_assert(config::max_mtu <= dpdk_env::data_room);

constexpr size_t max_burst = 512;
constexpr int idle_wait_ms = 1;
// After a collector's last datagram its ICMP errors are looked for on every 16th flush, 64 times
// (at least a second when idle), then no more until it is sent to again.
constexpr unsigned error_check_every = 16;
constexpr unsigned error_checks_after_send = 64;

class socket_source : public datagram_source {
public:
    socket_source(io::udp_receiver& socket, rte_mempool* pool) : socket_(socket), pool_(pool) {}

    size_t receive(std::span<rte_mbuf*> out, live_counters& c) override {
        const size_t burst = std::min(out.size(), max_burst);
        if (rte_pktmbuf_alloc_bulk(pool_, out.data(), static_cast<unsigned>(burst)) != 0) {
            ++c.pool_empty;
            return 0;
        }
        for (size_t i = 0; i < burst; ++i) {
            slots_[i].data = rte_pktmbuf_mtod(out[i], uint8_t*);
            slots_[i].capacity = rte_pktmbuf_tailroom(out[i]);
        }
        const size_t n = socket_.receive_burst({slots_.data(), burst});
        size_t kept = 0;
        for (size_t i = 0; i < burst; ++i) {
            rte_mbuf* m = out[i];
            if (i >= n || slots_[i].truncated) {
                if (i < n) ++c.rx_truncated;
                rte_pktmbuf_free(m);
                continue;
            }
            ++c.rx_datagrams;
            c.rx_bytes += slots_[i].length;
            m->data_len = slots_[i].length;
            m->pkt_len = slots_[i].length;
            origin(m) = slots_[i].from;
            out[kept++] = m;
        }
        return kept;
    }

    void idle() override {
        std::array<pollfd, 4> fds{};
        size_t n = 0;
        for (int fd : socket_.fds()) {
            if (n < fds.size()) fds[n++] = {fd, POLLIN, 0};
        }
        ::poll(fds.data(), n, idle_wait_ms);
    }

private:
    io::udp_receiver& socket_;
    rte_mempool* pool_;
    std::array<io::rx_slot, max_burst> slots_{};
};

// Each datagram is copied into an mbuf, sent in bursts, the mbufs freed after. Each collector
// has sockets of its own (connected, so the kernel reports its ICMP errors to them alone): what
// was sent and what was refused (a full buffer, an unreachable port) is known per collector.
class socket_sender : public datagram_sender {
public:
    socket_sender(const config::daemon_config& c, rte_mempool* pool) : pool_(pool), burst_(c.io.burst) {
        for (const config::collector_config& col : c.forwarding.collectors) {
            lane& l = lanes_.emplace_back();
            l.to = {col.address, col.port};
            l.keep_source = col.source_address == config::source_address_mode::exporter;
        }
        tx_.resize(lanes_.size());
    }

    bool open(const config::daemon_config& c, std::string& error) {
        for (lane& l : lanes_) {
            const bool v4 = l.to.address.family == 4;
            io::udp_sender_options o;
            o.send_buffer = static_cast<int>(c.performance.buffer_size);
            if (v4) o.source_v6.reset();
            else o.source_v4.reset();
            o.peer = l.to;
            // A collector without a route yet is no reason to stop: its sends fail, counted.
            if (!l.own.open(o)) {
                o.peer.reset();
                if (!l.own.open(o)) {
                    error = "cannot open the sending socket: " + l.own.error();
                    return false;
                }
            }
            io::raw_udp_sender_options ro;
            ro.ipv4 = v4;
            ro.ipv6 = !v4;
            if (l.keep_source && !l.raw.open(ro)) {
                error = "a collector keeps the exporter's source address, which needs a raw socket (CAP_NET_RAW): " +
                        l.raw.error();
                return false;
            }
        }
        return true;
    }

    void send(size_t collector, const io::socket_address& from, std::span<const uint8_t> datagram) override {
        lane& l = lanes_[collector];
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        if (m == nullptr || datagram.size() > rte_pktmbuf_tailroom(m)) {
            if (m) rte_pktmbuf_free(m);
            ++l.no_mbuf;
            return;
        }
        uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
        std::memcpy(p, datagram.data(), datagram.size());
        held_.push_back(m);
        const auto len = static_cast<uint16_t>(datagram.size());
        if (l.keep_source && from.address.family == l.to.address.family) {
            l.raw_items.push_back({p, len, from, l.to});
        } else {
            l.items.push_back({p, len, l.to});
        }
        if (held_.size() >= burst_) flush();
    }

    void flush() override {
        ++flushes_;
        for (size_t c = 0; c < lanes_.size(); ++c) {
            lane& l = lanes_[c];
            if (!l.items.empty()) {
                l.full += l.items.size() - l.own.send_burst(l.items);
                l.items.clear();
                // On loopback the refusal is in already; from afar it comes a round trip later,
                // so the queue is looked at now and then for a while (not on every idle turn).
                l.own.read_errors();
                l.error_checks = error_checks_after_send;
            } else if (l.error_checks > 0 && flushes_ % error_check_every == 0) {
                l.own.read_errors();
                --l.error_checks;
            }
            if (!l.raw_items.empty()) {
                l.full += l.raw_items.size() - l.raw.send_burst(l.raw_items);
                l.raw_items.clear();
            }
            tx_[c] = l.tally();
        }
        if (!held_.empty()) {
            rte_pktmbuf_free_bulk(held_.data(), static_cast<unsigned>(held_.size()));
            held_.clear();
        }
    }

    live_counters counters() const override {
        live_counters c;
        for (const collector_tx_counters& t : tx_) {
            c.tx_datagrams += t.datagrams;
            c.tx_bytes += t.bytes;
            c.tx_dropped += t.drops();
        }
        return c;
    }

    std::span<const collector_tx_counters> collector_counters() const override { return tx_; }

private:
    struct lane {
        io::socket_address to;
        bool keep_source = false;
        io::udp_sender own;
        io::raw_udp_sender raw;
        std::vector<io::tx_item> items;
        std::vector<io::raw_tx_item> raw_items;
        uint64_t full = 0;     // left unsent by a full socket buffer
        uint64_t no_mbuf = 0;  // no mbuf, or longer than one
        unsigned error_checks = 0;  // idle flushes left that look for ICMP errors

        // The senders' own counts (datagrams handed to the kernel, per-item errors) folded in.
        collector_tx_counters tally() const {
            collector_tx_counters t;
            t.datagrams = own.counters().datagrams + raw.counters().datagrams;
            t.bytes = own.counters().bytes + raw.counters().bytes;
            t.drop(tx_drop::buffer_full) = full;
            const uint64_t at_send = own.counters().unreachable + raw.counters().unreachable;
            t.drop(tx_drop::unreachable) = at_send + own.counters().refused;
            t.drop(tx_drop::other) = no_mbuf + own.counters().errors + raw.counters().errors - at_send;
            return t;
        }
    };

    rte_mempool* pool_;
    size_t burst_;
    std::vector<lane> lanes_;
    std::vector<collector_tx_counters> tx_;
    std::vector<rte_mbuf*> held_;
    uint64_t flushes_ = 0;
};

class socket_backend : public io_backend {
public:
    socket_backend(const config::daemon_config& c, dpdk_env& env, bool split) : config_(c), env_(env), split_(split) {}

    bool open(unsigned receivers, unsigned senders, std::string& error) override {
        io::udp_receiver_options ro;
        const auto a = proto::ip_address::parse(config_.general.listen_address);
        ro.listen = {a ? *a : proto::ip_address::v4_host(0)};
        ro.port = config_.general.listen_port;
        ro.receive_buffer = static_cast<int>(config_.performance.buffer_size);
        ro.reuse_port = !split_;
        ro.max_burst = std::min<size_t>(config_.io.burst, max_burst);
        for (unsigned i = 0; i < receivers; ++i) {
            auto& s = receivers_.emplace_back(std::make_unique<io::udp_receiver>());
            if (port_ != 0) ro.port = port_;  // the others share the first one's (maybe picked) port
            if (!s->open(ro)) {
                error = "cannot listen: " + s->error();
                return false;
            }
            port_ = s->port();
        }
        for (unsigned i = 0; i < senders; ++i) {
            auto& s = senders_.emplace_back(std::make_unique<socket_sender>(config_, env_.pool()));
            if (!s->open(config_, error)) return false;
        }
        return true;
    }

    std::unique_ptr<datagram_source> source(unsigned index) override {
        return std::make_unique<socket_source>(*receivers_.at(index), env_.pool());
    }
    std::unique_ptr<datagram_sender> sender(unsigned index) override { return std::move(senders_.at(index)); }
    uint16_t listen_port() const override { return port_; }

    backend_counters counters() const override {
        backend_counters c;
        for (const auto& r : receivers_) c.kernel_drops += r->kernel_drops();
        return c;
    }

    // A socket connected to the collector asks the kernel afresh each time: a route changed
    // since the start shows on reload.
    std::optional<uint32_t> path_mtu(size_t collector, std::string& error) const override {
        const config::collector_config& col = config_.forwarding.collectors.at(collector);
        return io::route_mtu({col.address, col.port}, error);
    }

    std::string describe() const override {
        std::string s = config_.general.listen_address;
        s += ":";
        s += std::to_string(port_);
        return s;
    }

private:
    const config::daemon_config& config_;
    dpdk_env& env_;
    bool split_;
    std::vector<std::unique_ptr<io::udp_receiver>> receivers_;
    std::vector<std::unique_ptr<socket_sender>> senders_;
    uint16_t port_ = 0;
};

}  // namespace

std::unique_ptr<io_backend> make_socket_backend(const config::daemon_config& c, dpdk_env& env, bool split) {
    return std::make_unique<socket_backend>(c, env, split);
}

}  // namespace ipfix::pipeline
