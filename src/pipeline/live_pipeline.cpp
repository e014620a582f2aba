#include "ipfix/pipeline/live_pipeline.hpp"

#include <poll.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <chrono>
#include <cstring>
#include <mutex>

#include "ipfix/io/raw_udp_sender.hpp"
#include "ipfix/io/udp_receiver.hpp"
#include "ipfix/io/udp_sender.hpp"
#include "ipfix/proto/ip_address.hpp"

namespace ipfix::pipeline {
namespace {

constexpr size_t max_burst = 512;
constexpr int idle_wait_ms = 1;
constexpr unsigned publish_every = 64;  // bursts between counter snapshots

uint64_t wall_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::vector<proto::ip_address> listen_addresses(const config::daemon_config& c) {
    const auto a = proto::ip_address::parse(c.general.listen_address);
    return {a ? *a : proto::ip_address::v4_host(0)};
}

// The exporter of a datagram handed over a ring rides in the mbuf's private area.
io::socket_address& origin(rte_mbuf* m) { return *static_cast<io::socket_address*>(rte_mbuf_to_priv(m)); }

}  // namespace

live_counters& live_counters::operator+=(const live_counters& o) {
    rx_datagrams += o.rx_datagrams;
    rx_bytes += o.rx_bytes;
    rx_truncated += o.rx_truncated;
    pool_empty += o.pool_empty;
    ring_full += o.ring_full;
    tx_datagrams += o.tx_datagrams;
    tx_bytes += o.tx_bytes;
    tx_dropped += o.tx_dropped;
    return *this;
}

// Output of one worker: each datagram copied into an mbuf, sent in bursts, mbufs freed after.
class tx_batch : public output_sink {
public:
    tx_batch(const config::daemon_config& c, rte_mempool* pool, size_t burst) : pool_(pool), burst_(burst) {
        for (const config::collector_config& col : c.forwarding.collectors) {
            to_.push_back({col.address, col.port});
            keep_source_.push_back(col.source_address == config::source_address_mode::exporter);
        }
    }

    bool open(const config::daemon_config& c, std::string& error) {
        io::udp_sender_options o;
        o.send_buffer = static_cast<int>(c.performance.buffer_size);
        if (!own_.open(o)) {
            error = "cannot open the sending socket: " + own_.error();
            return false;
        }
        bool raw = false;
        for (bool k : keep_source_) raw |= k;
        if (raw && !raw_.open({})) {
            error = "a collector keeps the exporter's source address, which needs a raw socket (CAP_NET_RAW): " +
                    raw_.error();
            return false;
        }
        return true;
    }

    void set_input(const io::socket_address& from) { from_ = from; }

    void emit(size_t collector, std::span<const uint8_t> datagram) override {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        if (m == nullptr || datagram.size() > rte_pktmbuf_tailroom(m)) {
            if (m) rte_pktmbuf_free(m);
            ++counters_.tx_dropped;
            return;
        }
        uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
        std::memcpy(p, datagram.data(), datagram.size());
        held_.push_back(m);
        const auto len = static_cast<uint16_t>(datagram.size());
        const io::socket_address& to = to_[collector];
        if (keep_source_[collector] && from_.address.family == to.address.family) {
            raw_items_.push_back({p, len, from_, to});
        } else {
            items_.push_back({p, len, to});
        }
        if (held_.size() >= burst_) flush();
    }

    void flush() {
        if (!items_.empty()) {
            const size_t n = own_.send_burst(items_);
            counters_.tx_dropped += items_.size() - n;
            items_.clear();
        }
        if (!raw_items_.empty()) {
            const size_t n = raw_.send_burst(raw_items_);
            counters_.tx_dropped += raw_items_.size() - n;
            raw_items_.clear();
        }
        if (!held_.empty()) {
            rte_pktmbuf_free_bulk(held_.data(), static_cast<unsigned>(held_.size()));
            held_.clear();
        }
    }

    // The senders' own counts (datagrams handed to the kernel, per-item errors) folded in.
    live_counters counters() const {
        live_counters c = counters_;
        c.tx_datagrams = own_.counters().datagrams + raw_.counters().datagrams;
        c.tx_bytes = own_.counters().bytes + raw_.counters().bytes;
        c.tx_dropped += own_.counters().errors + raw_.counters().errors;
        return c;
    }

private:
    rte_mempool* pool_;
    size_t burst_;
    std::vector<io::socket_address> to_;
    std::vector<bool> keep_source_;
    io::udp_sender own_;
    io::raw_udp_sender raw_;
    io::socket_address from_;
    std::vector<rte_mbuf*> held_;
    std::vector<io::tx_item> items_;
    std::vector<io::raw_tx_item> raw_items_;
    live_counters counters_;
};

struct live_pipeline::worker {
    worker(const config::daemon_config& c, const enrich::as_database* db, rte_mempool* pool, size_t burst)
        : flow(c, db), tx(c, pool, burst) {}

    // Runs one received datagram through the stages.
    void process(const io::socket_address& from, std::span<const uint8_t> payload, uint64_t now_ms) {
        tx.set_input(from);
        flow.process(from.endpoint(), payload, now_ms, tx);
    }

    // Copies the counters where stats() reads them; never waits on the control thread.
    void publish(bool wait) {
        std::unique_lock lock(snapshot_mutex, std::defer_lock);
        if (wait) lock.lock();
        else if (!lock.try_lock()) return;
        snapshot.io = rx;
        snapshot.io += tx.counters();
        snapshot.decode = flow.decode_counters();
        snapshot.enrich = flow.enrichment_counters();
        snapshot.collectors.resize(flow.collector_count());
        for (size_t i = 0; i < flow.collector_count(); ++i) snapshot.collectors[i] = flow.mediate_counters(i);
    }

    unsigned lcore = 0;
    flow_worker flow;
    tx_batch tx;
    io::udp_receiver socket;       // fused layout
    rte_ring* ring = nullptr;      // split layout: datagrams from the RX lcore
    live_counters rx;
    std::mutex snapshot_mutex;
    live_stats snapshot;
};

struct live_pipeline::receiver {
    unsigned lcore = 0;
    io::udp_receiver socket;
    live_counters counters;
    std::mutex snapshot_mutex;
    live_counters snapshot;
};

namespace {

struct launch {
    live_pipeline* self;
    void* target;
};

}  // namespace

live_pipeline::live_pipeline(const config::daemon_config& config, const enrich::as_database* db, dpdk_env& env)
    : config_(config), db_(db), env_(env) {}

live_pipeline::~live_pipeline() {
    stop();
    for (auto& w : workers_) {
        if (w->ring) rte_ring_free(w->ring);
    }
}

namespace {

// Fills `slots` with fresh mbufs' data rooms; false when the pool is empty.
bool arm(rte_mempool* pool, std::span<rte_mbuf*> mbufs, std::span<io::rx_slot> slots) {
    if (rte_pktmbuf_alloc_bulk(pool, mbufs.data(), static_cast<unsigned>(mbufs.size())) != 0) return false;
    for (size_t i = 0; i < mbufs.size(); ++i) {
        slots[i].data = rte_pktmbuf_mtod(mbufs[i], uint8_t*);
        slots[i].capacity = rte_pktmbuf_tailroom(mbufs[i]);
    }
    return true;
}

void wait_readable(const io::udp_receiver& r) {
    std::array<pollfd, 4> fds{};
    size_t n = 0;
    for (int fd : r.fds()) {
        if (n < fds.size()) fds[n++] = {fd, POLLIN, 0};
    }
    ::poll(fds.data(), n, idle_wait_ms);
}

}  // namespace

bool live_pipeline::start(std::string& error) {
    const size_t burst = std::min<size_t>(config_.io.burst, max_burst);
    const unsigned lcores = env_.worker_lcores();
    const bool split = config_.io.layout == config::pipeline_layout::split;
    const unsigned wanted = config_.performance.workers + (split ? 1 : 0);
    if (lcores < wanted) {
        error = "the layout needs " + std::to_string(wanted) + " lcores beside the main one, the EAL has " +
                std::to_string(lcores) + " (performance.workers, io.layout, and -l in io.eal_args)";
        return false;
    }
    io::udp_receiver_options ro;
    ro.listen = listen_addresses(config_);
    ro.port = config_.general.listen_port;
    ro.receive_buffer = static_cast<int>(config_.performance.buffer_size);
    ro.reuse_port = !split;
    ro.max_burst = burst;

    std::vector<unsigned> ids;
    unsigned id = 0;
    RTE_LCORE_FOREACH_WORKER(id) ids.push_back(id);
    size_t next = 0;
    if (split) {
        receiver_ = std::make_unique<receiver>();
        receiver_->lcore = ids[next++];
        if (!receiver_->socket.open(ro)) {
            error = "cannot listen: " + receiver_->socket.error();
            return false;
        }
        listen_port_ = receiver_->socket.port();
    }
    for (unsigned i = 0; i < config_.performance.workers; ++i) {
        auto w = std::make_unique<worker>(config_, db_, env_.pool(), burst);
        w->lcore = ids[next++];
        if (!w->tx.open(config_, error)) return false;
        if (split) {
            const std::string name = "ipfix_w" + std::to_string(i);
            w->ring = rte_ring_create(name.c_str(), config_.performance.queue_size, static_cast<int>(rte_socket_id()),
                                      RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (w->ring == nullptr) {
                error = "cannot create ring " + name;
                return false;
            }
        } else {
            if (!listen_port_) ro.port = config_.general.listen_port;
            else ro.port = listen_port_;
            if (!w->socket.open(ro)) {
                error = "cannot listen: " + w->socket.error();
                return false;
            }
            listen_port_ = w->socket.port();
        }
        workers_.push_back(std::move(w));
    }

    if (worker_ready_) {
        for (size_t i = 0; i < workers_.size(); ++i) worker_ready_(i, workers_[i]->flow);
    }
    running_ = true;
    input_open_ = true;
    for (auto& w : workers_) {
        rte_eal_remote_launch(
            [](void* arg) -> int {
                auto* l = static_cast<launch*>(arg);
                auto* self = l->self;
                auto* wk = static_cast<worker*>(l->target);
                delete l;
                self->run_worker(*wk);
                return 0;
            },
            new launch{this, w.get()}, w->lcore);
    }
    if (receiver_) {
        rte_eal_remote_launch(
            [](void* arg) -> int {
                auto* l = static_cast<launch*>(arg);
                l->self->run_receiver();
                delete l;
                return 0;
            },
            new launch{this, nullptr}, receiver_->lcore);
    }
    return true;
}

void live_pipeline::run_worker(worker& w) {
    const size_t burst = std::min<size_t>(config_.io.burst, max_burst);
    std::array<rte_mbuf*, max_burst> mbufs{};
    std::array<io::rx_slot, max_burst> slots{};
    unsigned bursts = 0;
    if (w.ring == nullptr) {
        // Fused: receive, decode, enrich, mediate, send, on this lcore.
        while (input_open_.load(std::memory_order_relaxed)) {
            if (!arm(env_.pool(), {mbufs.data(), burst}, {slots.data(), burst})) {
                ++w.rx.pool_empty;
                w.tx.flush();  // frees the mbufs held for sending
                wait_readable(w.socket);
                continue;
            }
            const size_t n = w.socket.receive_burst({slots.data(), burst});
            const uint64_t now = wall_ms();
            for (size_t i = 0; i < n; ++i) {
                if (slots[i].truncated) {
                    ++w.rx.rx_truncated;
                    continue;
                }
                ++w.rx.rx_datagrams;
                w.rx.rx_bytes += slots[i].length;
                w.process(slots[i].from, {slots[i].data, slots[i].length}, now);
            }
            w.tx.flush();
            rte_pktmbuf_free_bulk(mbufs.data(), static_cast<unsigned>(burst));
            if (n == 0) {
                w.publish(false);
                wait_readable(w.socket);
            } else if (++bursts % publish_every == 0) {
                w.publish(false);
            }
        }
    } else {
        // Split: datagrams come over the ring; run until the receiver is done and the ring empty.
        for (;;) {
            const unsigned n =
                rte_ring_sc_dequeue_burst(w.ring, reinterpret_cast<void**>(mbufs.data()), static_cast<unsigned>(burst), nullptr);
            if (n == 0) {
                if (receiver_done_.load(std::memory_order_acquire) && rte_ring_empty(w.ring)) break;
                w.tx.flush();
                w.publish(false);
                rte_delay_us_sleep(200);
                continue;
            }
            const uint64_t now = wall_ms();
            for (unsigned i = 0; i < n; ++i) {
                rte_mbuf* m = mbufs[i];
                w.process(origin(m), {rte_pktmbuf_mtod(m, const uint8_t*), m->data_len}, now);
            }
            w.tx.flush();
            rte_pktmbuf_free_bulk(mbufs.data(), n);
            if (++bursts % publish_every == 0) w.publish(false);
        }
    }
    w.tx.flush();
    w.publish(true);
}

void live_pipeline::run_receiver() {
    receiver& r = *receiver_;
    const size_t burst = std::min<size_t>(config_.io.burst, max_burst);
    const size_t nw = workers_.size();
    std::array<rte_mbuf*, max_burst> mbufs{};
    std::array<io::rx_slot, max_burst> slots{};
    std::vector<std::array<rte_mbuf*, max_burst>> per_worker(nw);
    std::vector<unsigned> counts(nw);
    unsigned bursts = 0;
    while (input_open_.load(std::memory_order_relaxed)) {
        if (!arm(env_.pool(), {mbufs.data(), burst}, {slots.data(), burst})) {
            ++r.counters.pool_empty;
            wait_readable(r.socket);
            continue;
        }
        const size_t n = r.socket.receive_burst({slots.data(), burst});
        std::fill(counts.begin(), counts.end(), 0u);
        for (size_t i = 0; i < n; ++i) {
            rte_mbuf* m = mbufs[i];
            if (slots[i].truncated) {
                ++r.counters.rx_truncated;
                continue;
            }
            ++r.counters.rx_datagrams;
            r.counters.rx_bytes += slots[i].length;
            m->data_len = slots[i].length;
            m->pkt_len = slots[i].length;
            origin(m) = slots[i].from;
            // By exporter address only, so all of a router's streams (and ports) share a worker.
            const size_t w = proto::ip_address_hash{}(slots[i].from.address) % nw;
            per_worker[w][counts[w]++] = m;
            mbufs[i] = nullptr;
        }
        for (size_t w = 0; w < nw; ++w) {
            if (counts[w] == 0) continue;
            const unsigned sent = rte_ring_sp_enqueue_burst(workers_[w]->ring, reinterpret_cast<void**>(per_worker[w].data()),
                                                            counts[w], nullptr);
            if (sent < counts[w]) {
                r.counters.ring_full += counts[w] - sent;
                rte_pktmbuf_free_bulk(per_worker[w].data() + sent, counts[w] - sent);
            }
        }
        // The mbufs not handed on (unused slots, truncated datagrams) go back to the pool.
        for (size_t i = 0; i < burst; ++i) {
            if (mbufs[i]) rte_pktmbuf_free(mbufs[i]);
        }
        if (n == 0 || ++bursts % publish_every == 0) {
            std::unique_lock lock(r.snapshot_mutex, std::try_to_lock);
            if (lock) r.snapshot = r.counters;
        }
        if (n == 0) wait_readable(r.socket);
    }
    std::lock_guard lock(r.snapshot_mutex);
    r.snapshot = r.counters;
    receiver_done_.store(true, std::memory_order_release);
}

void live_pipeline::stop() {
    if (!running_.exchange(false)) return;
    input_open_ = false;
    if (receiver_) rte_eal_wait_lcore(receiver_->lcore);
    receiver_done_ = true;
    for (auto& w : workers_) rte_eal_wait_lcore(w->lcore);
}

live_stats live_pipeline::stats() const {
    live_stats s;
    for (const auto& w : workers_) {
        std::lock_guard lock(w->snapshot_mutex);
        s.io += w->snapshot.io;
        s.decode += w->snapshot.decode;
        s.enrich += w->snapshot.enrich;
        if (s.collectors.size() < w->snapshot.collectors.size()) s.collectors.resize(w->snapshot.collectors.size());
        for (size_t i = 0; i < w->snapshot.collectors.size(); ++i) s.collectors[i] += w->snapshot.collectors[i];
        s.kernel_drops += w->socket.kernel_drops();
    }
    if (receiver_) {
        std::lock_guard lock(receiver_->snapshot_mutex);
        s.io += receiver_->snapshot;
        s.kernel_drops += receiver_->socket.kernel_drops();
    }
    return s;
}

}  // namespace ipfix::pipeline
