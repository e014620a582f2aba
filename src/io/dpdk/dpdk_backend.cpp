#include "ipfix/io/dpdk_backend.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <vector>

#include "ipfix/io/dpdk_port.hpp"

namespace ipfix::io {
namespace {

using pipeline::live_counters;

constexpr size_t max_burst = 512;
constexpr uint16_t prefetch_ahead = 4;     // frames whose head is fetched while one is classified
constexpr unsigned tx_stash = 16;          // mbufs a sender takes from the pool at once
constexpr unsigned idle_sleep_us = 100;
constexpr size_t hold_limit = 64;          // datagrams per collector waiting for a neighbour
constexpr uint64_t hold_ms = 3000;         // then they are dropped
constexpr uint64_t recheck_resolved_ms = 1000;
constexpr uint64_t recheck_unresolved_ms = 10;

uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// A TX queue of a port; in the split layout the RX lcore (ARP and ND answers) and worker 0
// share queue 0, and take its lock.
struct tx_lane {
    uint16_t port = 0;
    uint16_t queue = 0;
    std::atomic_flag* lock = nullptr;

    uint16_t send(rte_mbuf** m, uint16_t n) const {
        if (lock) {
            while (lock->test_and_set(std::memory_order_acquire)) {
            }
        }
        const uint16_t sent = rte_eth_tx_burst(port, queue, m, n);
        if (lock) lock->clear(std::memory_order_release);
        return sent;
    }
    // Sends or frees; true when sent.
    bool send_one(rte_mbuf* m) const {
        if (send(&m, 1) == 1) return true;
        rte_pktmbuf_free(m);
        return false;
    }
};

struct port_slot {
    std::unique_ptr<dpdk_port> port;
    std::vector<std::unique_ptr<std::atomic_flag>> locks;  // per TX queue, split layout only
};

// A fresh mbuf holding `length` bytes written by `write`; null when the pool is empty.
template <class Write>
rte_mbuf* build(rte_mempool* pool, size_t length, Write write) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) return nullptr;
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(length)));
    if (p == nullptr || write(std::span<uint8_t>(p, length)) != length) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    return m;
}

// On a tagged port (vlan != 0): the 802.1Q tag after the frame's MACs. False: no headroom.
bool tag(rte_mbuf* m, uint16_t vlan) {
    if (vlan == 0) return true;
    if (rte_pktmbuf_prepend(m, static_cast<uint16_t>(eth::vlan_tag)) == nullptr) return false;
    return eth::insert_vlan_tag({rte_pktmbuf_mtod(m, uint8_t*), m->data_len}, vlan);
}

// Sends an ARP request or a neighbour solicitation for `target` from `port`.
bool ask(const tx_lane& lane, dpdk_port& port, rte_mempool* pool, const proto::ip_address& target) {
    const eth::local_addresses& l = port.local();
    rte_mbuf* m = target.family == 4
                      ? build(pool, eth::arp_frame,
                              [&](std::span<uint8_t> out) { return eth::write_arp_request(out, l.mac, l.ipv4, target); })
                      : build(pool, eth::nd_frame, [&](std::span<uint8_t> out) {
                            return eth::write_neighbour_solicitation(out, l.mac, l.ipv6, target);
                        });
    if (m != nullptr && !tag(m, l.vlan)) {
        rte_pktmbuf_free(m);
        return false;
    }
    return m != nullptr && lane.send_one(m);
}

class dpdk_source : public pipeline::datagram_source {
public:
    dpdk_source(std::vector<port_slot>& ports, uint16_t queue, uint16_t tx_queue, rte_mempool* pool)
        : pool_(pool), queue_(queue) {
        for (port_slot& p : ports) {
            ports_.push_back(p.port.get());
            lanes_.push_back({p.port->id(), tx_queue, p.locks.empty() ? nullptr : p.locks[tx_queue].get()});
        }
    }

    size_t receive(std::span<rte_mbuf*> out, live_counters& c) override {
        size_t kept = 0;
        const uint64_t now = now_ms();
        for (size_t i = 0; i < ports_.size() && kept < out.size(); ++i) {
            const auto room = static_cast<uint16_t>(std::min(out.size() - kept, max_burst));
            const uint16_t n = rte_eth_rx_burst(ports_[i]->id(), queue_, frames_.data(), room);
            // The mbufs and frames were written by the NIC (or another core) and are not in this
            // core's cache: fetch every mbuf at once (their misses overlap), then each frame's
            // head a few frames ahead of classify, as the first touch of each cost most of receive.
            for (uint16_t k = 0; k < n; ++k) {
                rte_prefetch0(frames_[k]);
                rte_prefetch0(rte_mbuf_to_priv(frames_[k]));  // origin() is written there
            }
            for (uint16_t k = 0; k < std::min(n, prefetch_ahead); ++k) rte_prefetch0(rte_pktmbuf_mtod(frames_[k], void*));
            for (uint16_t k = 0; k < n; ++k) {
                if (k + prefetch_ahead < n) rte_prefetch0(rte_pktmbuf_mtod(frames_[k + prefetch_ahead], void*));
                if (rte_mbuf* m = take(*ports_[i], lanes_[i], frames_[k], now, c)) out[kept++] = m;
            }
            if (ports_[i]->has_exception()) exchange(*ports_[i], lanes_[i], c);
        }
        return kept;
    }

    void idle() override { rte_delay_us_sleep(idle_sleep_us); }

private:
    // One received frame: the datagram for the caller, or answered / learnt from / counted, and freed.
    rte_mbuf* take(dpdk_port& port, const tx_lane& lane, rte_mbuf* m, uint64_t now, live_counters& c) {
        ++c.rx_frames;
        if (m->nb_segs != 1) {  // a jumbo frame over several mbufs: beyond our data room
            ++c.drop_malformed;
            rte_pktmbuf_free(m);
            return nullptr;
        }
        // A NIC with RX checksum offload has summed the datagram already (a bad or unknown
        // result is checked again here, so a bad one is counted as ours would be).
        const bool udp_verified = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
        const eth::frame_info f =
            eth::classify({rte_pktmbuf_mtod(m, const uint8_t*), m->data_len}, port.local(), udp_verified);
        const eth::local_addresses& l = port.local();
        switch (f.kind) {
            case eth::frame_kind::datagram:
                rte_pktmbuf_adj(m, f.payload_offset);
                rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - f.payload_length));
                pipeline::origin(m) = socket_address::from(f.source);
                ++c.rx_datagrams;
                c.rx_bytes += f.payload_length;
                return m;
            case eth::frame_kind::arp_request:
            case eth::frame_kind::neighbour_solicitation: {
                // RFC 826: whoever asks for us is a neighbour worth knowing (we answer it anyway);
                // an address probe (RFC 5227, sender 0.0.0.0) has no address to learn.
                if (f.sender_ip != proto::ip_address::v4_host(0)) port.neighbours().learn(f.sender_ip, f.sender_mac, now, true);
                const bool v4 = f.kind == eth::frame_kind::arp_request;
                rte_mbuf* reply = build(pool_, v4 ? eth::arp_frame : eth::nd_frame, [&](std::span<uint8_t> out) {
                    return v4 ? eth::write_arp_reply(out, l.mac, l.ipv4, f.sender_mac, f.sender_ip)
                              : eth::write_neighbour_advertisement(out, l.mac, l.ipv6, f.sender_mac, f.sender_ip);
                });
                if (reply && !tag(reply, l.vlan)) {
                    rte_pktmbuf_free(reply);
                    reply = nullptr;
                }
                if (reply && lane.send_one(reply)) ++c.arp_replies_sent;
                else ++c.tx_dropped;
                break;
            }
            case eth::frame_kind::arp_reply:
            case eth::frame_kind::neighbour_advertisement:
                port.neighbours().learn(f.sender_ip, f.sender_mac, now, false);
                ++c.neighbour_updates;
                break;
            case eth::frame_kind::dropped:
                // Other traffic (not malformed) is the host's, when it has an exception interface.
                if (port.has_exception() && f.reason != eth::drop_reason::truncated &&
                    f.reason != eth::drop_reason::bad_ip_header && f.reason != eth::drop_reason::bad_checksum &&
                    to_host_count_ < to_host_.size()) {
                    to_host_[to_host_count_++] = m;
                    return nullptr;
                }
                switch (f.reason) {
                    case eth::drop_reason::not_for_us: ++c.drop_not_for_us; break;
                    case eth::drop_reason::not_ip: ++c.drop_not_ip; break;
                    case eth::drop_reason::not_udp: ++c.drop_not_udp; break;
                    case eth::drop_reason::wrong_port: ++c.drop_wrong_port; break;
                    case eth::drop_reason::fragment: ++c.drop_fragment; break;
                    case eth::drop_reason::bad_checksum: ++c.drop_bad_checksum; break;
                    default: ++c.drop_malformed; break;
                }
                break;
        }
        rte_pktmbuf_free(m);
        return nullptr;
    }

    // Hands the burst's other traffic to the exception interface, and (first source only) sends
    // what the host sent through it out the port.
    void exchange(dpdk_port& port, const tx_lane& lane, live_counters& c) {
        if (to_host_count_) {
            const uint16_t sent = rte_eth_tx_burst(port.exception_id(), queue_, to_host_.data(), to_host_count_);
            c.exception_out += sent;
            if (sent < to_host_count_) {
                c.tx_dropped += to_host_count_ - sent;
                rte_pktmbuf_free_bulk(to_host_.data() + sent, to_host_count_ - sent);
            }
            to_host_count_ = 0;
        }
        if (queue_ != 0) return;
        const uint16_t n = rte_eth_rx_burst(port.exception_id(), 0, from_host_.data(), static_cast<uint16_t>(from_host_.size()));
        if (n == 0) return;
        const uint16_t sent = lane.send(from_host_.data(), n);
        c.exception_in += sent;
        if (sent < n) {
            c.tx_dropped += n - sent;
            rte_pktmbuf_free_bulk(from_host_.data() + sent, n - sent);
        }
    }

    rte_mempool* pool_;
    uint16_t queue_;
    std::vector<dpdk_port*> ports_;
    std::vector<tx_lane> lanes_;
    std::array<rte_mbuf*, max_burst> frames_{};
    std::array<rte_mbuf*, max_burst> to_host_{};
    uint16_t to_host_count_ = 0;
    std::array<rte_mbuf*, 64> from_host_{};
};

// Where one collector's datagrams go: the port, the next hop whose MAC they need, our address.
struct route {
    size_t port = 0;
    proto::ip_address next_hop;
    proto::ip_address own;
    socket_address to;
    bool keep_source = false;
};

class dpdk_sender : public pipeline::datagram_sender {
public:
    dpdk_sender(std::vector<port_slot>& ports, const std::vector<route>& routes, uint16_t queue, uint16_t listen_port,
                size_t burst, rte_mempool* pool)
        : pool_(pool), burst_(std::min(burst, max_burst)), listen_port_(listen_port), routes_(routes),
          collectors_(routes.size()), tx_(routes.size()) {
        for (port_slot& p : ports) {
            ports_.push_back(p.port.get());
            lanes_.push_back({p.port->id(), queue, p.locks.empty() ? nullptr : p.locks[queue].get()});
        }
        pending_.resize(ports.size());
        pending_bytes_.resize(ports.size());
        pending_collector_.resize(ports.size());
    }

    ~dpdk_sender() override {
        for (collector_state& cs : collectors_) {
            if (!cs.held.empty()) rte_pktmbuf_free_bulk(cs.held.data(), static_cast<unsigned>(cs.held.size()));
        }
        for (auto& q : pending_) {
            if (!q.empty()) rte_pktmbuf_free_bulk(q.data(), static_cast<unsigned>(q.size()));
        }
        if (stash_next_ < stash_count_) rte_pktmbuf_free_bulk(stash_.data() + stash_next_, stash_count_ - stash_next_);
    }
    dpdk_sender(const dpdk_sender&) = delete;
    dpdk_sender& operator=(const dpdk_sender&) = delete;

    void send(size_t collector, const socket_address& from, std::span<const uint8_t> datagram) override {
        const route& r = routes_[collector];
        collector_state& cs = collectors_[collector];
        const size_t headers = eth::udp_headers_length(r.to.address.family);
        rte_mbuf* m = fresh();
        auto* payload = m ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(datagram.size())))
                          : nullptr;
        if (payload == nullptr || datagram.size() > 0xFFFF - headers) {
            if (m) rte_pktmbuf_free(m);
            ++counters_.tx_dropped;
            ++tx_[collector].drop(pipeline::tx_drop::other);
            return;
        }
        std::memcpy(payload, datagram.data(), datagram.size());
        auto* h = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, static_cast<uint16_t>(headers)));
        const bool keep = r.keep_source && from.address.family == r.to.address.family;
        const uint64_t now = now_;
        eth::udp_route u;
        u.source_mac = ports_[r.port]->local().mac;
        u.destination_mac = resolve(collector, now);  // zero until resolved: filled in when it is
        u.source = keep ? from.address : r.own;
        u.source_port = keep ? from.port : listen_port_;
        u.destination = r.to.address;
        u.destination_port = r.to.port;
        const uint16_t vlan = ports_[r.port]->local().vlan;
        if (h == nullptr || !eth::write_udp_headers({h, headers}, u, {payload, datagram.size()}, ip_id_++) ||
            !tag(m, vlan)) {
            rte_pktmbuf_free(m);
            ++counters_.tx_dropped;
            ++tx_[collector].drop(pipeline::tx_drop::other);
            return;
        }
        m->l2_len = (eth::ethernet_header + (vlan != 0 ? eth::vlan_tag : 0)) & 0x7F;
        m->l3_len = static_cast<uint16_t>(headers - eth::ethernet_header - eth::udp_header) & 0x1FF;
        m->l4_len = eth::udp_header;
        // In order: what waits for the neighbour goes first.
        if (!cs.resolved || !cs.held.empty()) {
            if (cs.held.size() >= hold_limit) {
                ++counters_.tx_unresolved;
                ++tx_[collector].drop(pipeline::tx_drop::no_neighbour);
                rte_pktmbuf_free(m);
                return;
            }
            if (cs.held.empty()) cs.held_since = now;
            cs.held.push_back(m);
            if (cs.resolved) release(collector, now);
            return;
        }
        queue(r.port, collector, m);
    }

    void flush() override {
        const uint64_t now = now_ = now_ms();
        if (!primed_) {
            // Ask for every next hop at once, so the first datagrams rarely wait.
            primed_ = true;
            for (size_t i = 0; i < routes_.size(); ++i) resolve(i, now);
        }
        for (size_t i = 0; i < collectors_.size(); ++i) {
            if (!collectors_[i].held.empty()) release(i, now);
        }
        for (size_t p = 0; p < pending_.size(); ++p) transmit(p);
    }

    live_counters counters() const override { return counters_; }
    std::span<const pipeline::collector_tx_counters> collector_counters() const override { return tx_; }

private:
    struct collector_state {
        bool resolved = false;
        eth::mac_address mac{};
        uint64_t recheck_at = 0;
        std::vector<rte_mbuf*> held;
        uint64_t held_since = 0;
    };

    // An mbuf for the next datagram. Freed mbufs were last written by another core (the NIC's
    // completion, or the ring's consumer): they come from the pool a few at a time (resetting
    // them together overlaps the misses), and the next one's frame head is fetched while this
    // datagram is built and the next one mediated.
    rte_mbuf* fresh() {
        if (stash_next_ == stash_count_) {
            stash_next_ = stash_count_ = 0;
            if (rte_pktmbuf_alloc_bulk(pool_, stash_.data(), tx_stash) != 0) return rte_pktmbuf_alloc(pool_);
            stash_count_ = tx_stash;
        }
        rte_mbuf* m = stash_[stash_next_++];
        if (stash_next_ < stash_count_) {
            // Where its headers and first payload bytes go.
            const uint8_t* next = static_cast<uint8_t*>(stash_[stash_next_]->buf_addr) + RTE_PKTMBUF_HEADROOM;
            rte_prefetch0(next - 64);
            rte_prefetch0(next);
        }
        return m;
    }

    // The next hop's MAC (zero while unknown), from the port's table at most every so often.
    eth::mac_address resolve(size_t collector, uint64_t now) {
        collector_state& cs = collectors_[collector];
        if (now < cs.recheck_at) return cs.mac;
        const route& r = routes_[collector];
        dpdk_port& port = *ports_[r.port];
        const eth::neighbour_table::answer a = port.neighbours().lookup(r.next_hop, now);
        if (a.send_request) {
            if (ask(lanes_[r.port], port, pool_, r.next_hop)) ++counters_.arp_requests_sent;
            else ++counters_.tx_dropped;
        }
        cs.resolved = a.resolved;
        cs.mac = a.mac;
        cs.recheck_at = now + (a.resolved ? recheck_resolved_ms : recheck_unresolved_ms);
        return cs.mac;
    }

    // Sends what waited for the neighbour once it is known; drops it when it waited too long.
    void release(size_t collector, uint64_t now) {
        collector_state& cs = collectors_[collector];
        resolve(collector, now);
        if (cs.resolved) {
            for (rte_mbuf* m : cs.held) {
                std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), cs.mac.data(), 6);
                queue(routes_[collector].port, collector, m);
            }
            cs.held.clear();
        } else if (now - cs.held_since >= hold_ms) {
            counters_.tx_unresolved += cs.held.size();
            tx_[collector].drop(pipeline::tx_drop::no_neighbour) += cs.held.size();
            rte_pktmbuf_free_bulk(cs.held.data(), static_cast<unsigned>(cs.held.size()));
            cs.held.clear();
        }
    }

    void queue(size_t port, size_t collector, rte_mbuf* m) {
        pending_[port].push_back(m);
        pending_collector_[port].push_back(static_cast<uint32_t>(collector));
        pending_bytes_[port].push_back(static_cast<uint32_t>(m->pkt_len - m->l2_len - m->l3_len - m->l4_len));
        if (pending_[port].size() >= burst_) transmit(port);
    }

    void transmit(size_t port) {
        std::vector<rte_mbuf*>& q = pending_[port];
        size_t done = 0;
        // A full TX ring takes a few tries; what it still refuses is a counted drop.
        for (int attempt = 0; attempt < 4 && done < q.size(); ++attempt) {
            done += lanes_[port].send(q.data() + done, static_cast<uint16_t>(q.size() - done));
        }
        // Counted from our own note: a sent mbuf is the driver's (and, on a ring, another core's).
        counters_.tx_datagrams += done;
        for (size_t i = 0; i < done; ++i) {
            counters_.tx_bytes += pending_bytes_[port][i];
            pipeline::collector_tx_counters& t = tx_[pending_collector_[port][i]];
            ++t.datagrams;
            t.bytes += pending_bytes_[port][i];
        }
        for (size_t i = done; i < q.size(); ++i) ++tx_[pending_collector_[port][i]].drop(pipeline::tx_drop::buffer_full);
        if (done < q.size()) {
            counters_.tx_dropped += q.size() - done;
            rte_pktmbuf_free_bulk(q.data() + done, static_cast<unsigned>(q.size() - done));
        }
        q.clear();
        pending_bytes_[port].clear();
        pending_collector_[port].clear();
    }

    rte_mempool* pool_;
    size_t burst_;
    uint16_t listen_port_;
    std::vector<route> routes_;
    std::vector<collector_state> collectors_;
    std::vector<dpdk_port*> ports_;
    std::vector<tx_lane> lanes_;
    std::vector<std::vector<rte_mbuf*>> pending_;  // per port
    std::vector<std::vector<uint32_t>> pending_bytes_;  // their payload bytes
    std::vector<std::vector<uint32_t>> pending_collector_;  // and whose they are
    uint64_t now_ = now_ms();  // the clock once per flush (a burst): it times holds and rechecks
    std::array<rte_mbuf*, tx_stash> stash_{};
    unsigned stash_next_ = 0, stash_count_ = 0;
    uint16_t ip_id_ = 0;
    bool primed_ = false;
    live_counters counters_;
    std::vector<pipeline::collector_tx_counters> tx_;  // per collector
};

class dpdk_backend : public pipeline::io_backend {
public:
    dpdk_backend(const config::daemon_config& c, pipeline::dpdk_env& env, bool split)
        : config_(c), env_(env), split_(split) {}

    ~dpdk_backend() override {
        // Senders may still hold mbufs only while lcores run; the ports close here.
        ports_.clear();
    }

    bool open(unsigned receivers, unsigned senders, std::string& error) override {
        const auto rxq = static_cast<uint16_t>(receivers);
        const auto txq = static_cast<uint16_t>(std::max(receivers, senders));
        for (const config::dpdk_port_config& pc : config_.io.dpdk.ports) {
            port_slot slot;
            slot.port = dpdk_port::open(pc, config_.io.dpdk, config_.general.listen_port, rxq, txq, env_.pool(), error);
            if (!slot.port) return false;
            if (split_) {
                for (uint16_t q = 0; q < txq; ++q) slot.locks.push_back(std::make_unique<std::atomic_flag>());
            }
            ports_.push_back(std::move(slot));
        }
        for (const config::collector_config& col : config_.forwarding.collectors) {
            route r;
            if (!find_route(col.address, r)) {
                error = "collector " + col.host + " is on no io.dpdk port's prefix and no port has an IPv" +
                        std::to_string(col.address.family) + " gateway";
                return false;
            }
            r.to = {col.address, col.port};
            r.keep_source = col.source_address == config::source_address_mode::exporter;
            routes_.push_back(r);
        }
        return true;
    }

    std::unique_ptr<pipeline::datagram_source> source(unsigned index) override {
        return std::make_unique<dpdk_source>(ports_, static_cast<uint16_t>(index), static_cast<uint16_t>(index),
                                             env_.pool());
    }

    std::unique_ptr<pipeline::datagram_sender> sender(unsigned index) override {
        return std::make_unique<dpdk_sender>(ports_, routes_, static_cast<uint16_t>(index), config_.general.listen_port,
                                             config_.io.burst, env_.pool());
    }

    uint16_t listen_port() const override { return config_.general.listen_port; }

    pipeline::backend_counters counters() const override {
        pipeline::backend_counters c;
        const uint64_t now = now_ms();
        for (const port_slot& p : ports_) {
            c.neighbours_resolved += p.port->neighbours().resolved_total();
            c.neighbours += p.port->neighbours().resolved_now(now);
            rte_eth_stats st{};
            if (rte_eth_stats_get(p.port->id(), &st) == 0) {
                c.port_rx_dropped += st.imissed + st.ierrors + st.rx_nombuf;
                c.port_tx_errors += st.oerrors;
            }
        }
        return c;
    }

    // The port's MTU as the ethdev has it (set at configure time: 1500 unless changed).
    std::optional<uint32_t> path_mtu(size_t collector, std::string& error) const override {
        const port_slot& p = ports_.at(routes_.at(collector).port);
        uint16_t mtu = 0;
        if (const int rc = rte_eth_dev_get_mtu(p.port->id(), &mtu); rc != 0) {
            error = "port " + p.port->config().device + ": no MTU: " + rte_strerror(-rc);
            return std::nullopt;
        }
        return mtu;
    }

    std::string describe() const override {
        std::string s;
        for (const port_slot& p : ports_) {
            if (!s.empty()) s += ", ";
            s += p.port->describe();
        }
        s += " UDP port ";
        s += std::to_string(config_.general.listen_port);
        return s;
    }

private:
    // On-link first (the collector is its own next hop), else the first port with a gateway.
    bool find_route(const proto::ip_address& to, route& r) const {
        for (size_t i = 0; i < ports_.size(); ++i) {
            const config::dpdk_port_config& pc = ports_[i].port->config();
            const config::prefix& on = to.family == 4 ? pc.address : pc.address6;
            if (!on.address.empty() && on.contains(to)) {
                r = {i, to, on.address, {}, false};
                return true;
            }
        }
        for (size_t i = 0; i < ports_.size(); ++i) {
            const config::dpdk_port_config& pc = ports_[i].port->config();
            const proto::ip_address& gw = to.family == 4 ? pc.gateway : pc.gateway6;
            if (!gw.empty()) {
                r = {i, gw, to.family == 4 ? pc.address.address : pc.address6.address, {}, false};
                return true;
            }
        }
        return false;
    }

    const config::daemon_config& config_;
    pipeline::dpdk_env& env_;
    bool split_;
    std::vector<port_slot> ports_;
    std::vector<route> routes_;
};

}  // namespace

std::unique_ptr<pipeline::io_backend> make_dpdk_backend(const config::daemon_config& c, pipeline::dpdk_env& env,
                                                        bool split) {
    return std::make_unique<dpdk_backend>(c, env, split);
}

}  // namespace ipfix::io
