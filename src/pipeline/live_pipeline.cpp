#include "ipfix/pipeline/live_pipeline.hpp"

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <array>
#include <chrono>
#include <mutex>

#include "ipfix/io/dpdk_backend.hpp"
#include "ipfix/pipeline/diverting_sender.hpp"
#include "ipfix/proto/ip_address.hpp"

namespace ipfix::pipeline {
namespace {

constexpr size_t max_burst = 512;
constexpr unsigned publish_every = 64;  // bursts between counter snapshots

uint64_t wall_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// The flow worker's output to the backend, with the exporter of the datagram being processed.
class sender_sink : public output_sink {
public:
    explicit sender_sink(datagram_sender& s) : sender_(s) {}
    void set_input(const io::socket_address& from) { from_ = &from; }
    void emit(size_t collector, std::span<const uint8_t> datagram) override { sender_.send(collector, *from_, datagram); }

private:
    datagram_sender& sender_;
    const io::socket_address* from_ = nullptr;
};

// The next datagram's bytes, fetched while this one is decoded: the port's receive touched
// only its headers, and a NIC's DMA (or the core that filled the ring) left them out of cache.
void prefetch_payload(const rte_mbuf* m) {
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    for (uint32_t at = 0; at < m->data_len; at += RTE_CACHE_LINE_SIZE) rte_prefetch0(p + at);
}

}  // namespace

io::socket_address& origin(rte_mbuf* m) { return *static_cast<io::socket_address*>(rte_mbuf_to_priv(m)); }

live_counters& live_counters::operator+=(const live_counters& o) {
    rx_datagrams += o.rx_datagrams;
    rx_bytes += o.rx_bytes;
    rx_truncated += o.rx_truncated;
    pool_empty += o.pool_empty;
    ring_full += o.ring_full;
    tx_datagrams += o.tx_datagrams;
    tx_bytes += o.tx_bytes;
    tx_dropped += o.tx_dropped;
    rx_frames += o.rx_frames;
    drop_not_for_us += o.drop_not_for_us;
    drop_not_ip += o.drop_not_ip;
    drop_not_udp += o.drop_not_udp;
    drop_wrong_port += o.drop_wrong_port;
    drop_fragment += o.drop_fragment;
    drop_bad_checksum += o.drop_bad_checksum;
    drop_malformed += o.drop_malformed;
    arp_replies_sent += o.arp_replies_sent;
    arp_requests_sent += o.arp_requests_sent;
    neighbour_updates += o.neighbour_updates;
    tx_unresolved += o.tx_unresolved;
    exception_out += o.exception_out;
    exception_in += o.exception_in;
    return *this;
}

uint64_t collector_tx_counters::drops() const {
    uint64_t n = 0;
    for (uint64_t d : dropped) n += d;
    return n;
}

collector_tx_counters& collector_tx_counters::operator+=(const collector_tx_counters& o) {
    datagrams += o.datagrams;
    bytes += o.bytes;
    for (size_t i = 0; i < tx_drop_count; ++i) dropped[i] += o.dropped[i];
    return *this;
}

struct live_pipeline::worker {
    worker(const config::daemon_config& c, const enrich::as_database* db, std::unique_ptr<datagram_sender> s,
           std::span<const uint16_t> mtus)
        : flow(c, db, true, mtus), tx(std::move(s)), sink(*tx), tap(tap_bytes, decoder_settings(c)) {
        flow.tap_records(&tap);
        flow.tally_traffic(&tally);
    }

    // Runs one received datagram through the stages.
    void process(rte_mbuf* m, uint64_t now_ms) {
        const io::socket_address& from = origin(m);
        sink.set_input(from);
        flow.process(from.endpoint(), {rte_pktmbuf_mtod(m, const uint8_t*), m->data_len}, now_ms, sink);
    }

    // Copies the counters where stats() reads them; never waits on the control thread.
    void publish(bool wait) {
        tally.publish();  // lock-free; only when the stats port asked
        std::unique_lock lock(snapshot_mutex, std::defer_lock);
        if (wait) lock.lock();
        else if (!lock.try_lock()) return;
        snapshot.io = rx;
        snapshot.io += tx->counters();
        snapshot.decode = flow.decode_counters();
        snapshot.enrich = flow.enrichment_counters();
        snapshot.collectors.resize(flow.collector_count());
        for (size_t i = 0; i < flow.collector_count(); ++i) snapshot.collectors[i] = flow.mediate_counters(i);
        const std::span<const collector_tx_counters> sent = tx->collector_counters();
        snapshot.collectors_tx.assign(sent.begin(), sent.end());  // same size every time: no allocation
    }

    unsigned lcore = 0;
    uint32_t mtu_version = 0;  // of live_pipeline::mtu_version_, last applied
    flow_worker flow;
    std::unique_ptr<datagram_sender> tx;
    sender_sink sink;
    std::unique_ptr<datagram_source> source;  // fused layout
    rte_ring* ring = nullptr;                 // split layout: datagrams from the RX lcore
    live_counters rx;
    std::mutex snapshot_mutex;
    live_stats snapshot;
    // Touched only while someone listens: some 15 ms of a worker's datagrams at full rate (the
    // datagram and 16 bytes a record, ~115 bytes a record of the bench capture); the control
    // thread is rung when it passes half full (tap_bell, given in on_worker_ready).
    static constexpr size_t tap_bytes = size_t{1} << 24;
    record_tap tap;
    traffic_tally tally;
};

struct live_pipeline::receiver {
    unsigned lcore = 0;
    std::unique_ptr<datagram_source> source;
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
    workers_.clear();
    receiver_.reset();
    backend_.reset();
}

bool live_pipeline::start(std::string& error) {
    const unsigned lcores = env_.worker_lcores();
    const bool split = config_.io.layout == config::pipeline_layout::split;
    const unsigned nw = config_.performance.workers;
    const unsigned wanted = nw + (split ? 1 : 0);
    if (lcores < wanted) {
        error = "the layout needs " + std::to_string(wanted) + " lcores beside the main one, the EAL has " +
                std::to_string(lcores) + " (performance.workers, io.layout, and -l in io.eal_args)";
        return false;
    }
    if (config_.io.backend == config::io_backend::dpdk) backend_ = io::make_dpdk_backend(config_, env_, split);
    else backend_ = make_socket_backend(config_, env_, split);
    if (!backend_->open(split ? 1 : nw, nw, error)) return false;
    listen_port_ = backend_->listen_port();
    const std::vector<config::collector_config>& collectors = config_.forwarding.collectors;
    update_mtus(collectors);
    std::vector<uint16_t> mtus;
    for (const mtu_choice& m : mtus_) mtus.push_back(m.mtu);

    std::vector<unsigned> ids;
    unsigned id = 0;
    RTE_LCORE_FOREACH_WORKER(id) ids.push_back(id);
    size_t next = 0;
    if (split) {
        receiver_ = std::make_unique<receiver>();
        receiver_->lcore = ids[next++];
        receiver_->source = backend_->source(0);
    }
    for (unsigned i = 0; i < nw; ++i) {
        std::unique_ptr<datagram_sender> tx = backend_->sender(i);
        if (divert_) {
            // Only where a collector is TCP: UDP-only output keeps its one call per datagram.
            std::vector<message_queue*> queues = divert_(i);
            bool any = false;
            for (const message_queue* q : queues) any |= q != nullptr;
            if (any) tx = std::make_unique<diverting_sender>(std::move(tx), std::move(queues));
        }
        auto w = std::make_unique<worker>(config_, db_, std::move(tx), mtus);
        w->mtu_version = mtu_version_.load(std::memory_order_relaxed);
        w->lcore = ids[next++];
        if (split) {
            const std::string name = "ipfix_w" + std::to_string(i);
            w->ring = rte_ring_create(name.c_str(), config_.performance.queue_size, static_cast<int>(rte_socket_id()),
                                      RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (w->ring == nullptr) {
                error = "cannot create ring " + name;
                return false;
            }
        } else {
            w->source = backend_->source(i);
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

std::vector<mtu_choice> live_pipeline::update_mtus(const std::vector<config::collector_config>& collectors) {
    const mtu_source source = config_.io.backend == config::io_backend::dpdk ? mtu_source::port : mtu_source::route;
    std::vector<mtu_choice> out;
    for (size_t i = 0; i < collectors.size(); ++i) {
        std::string why;
        std::optional<uint32_t> path;
        if (needs_path_mtu(collectors[i])) path = backend_->path_mtu(i, why);
        out.push_back(choose_mtu(collectors[i], path, why, source));
    }
    if (!mtu_now_) {
        mtu_now_ = std::make_unique<std::atomic<uint16_t>[]>(out.size());
        for (size_t i = 0; i < out.size(); ++i) mtu_now_[i].store(out[i].mtu, std::memory_order_relaxed);
    } else {
        bool changed = false;
        for (size_t i = 0; i < out.size() && i < config_.forwarding.collectors.size(); ++i) {
            changed |= mtu_now_[i].exchange(out[i].mtu, std::memory_order_relaxed) != out[i].mtu;
        }
        if (changed) mtu_version_.fetch_add(1, std::memory_order_release);
    }
    mtus_ = out;
    return out;
}

// Between bursts, when nothing is open: the mediators of collectors whose MTU changed flush
// nothing and split at the new size from the next datagram on.
void live_pipeline::apply_mtus(worker& w) {
    const uint32_t v = mtu_version_.load(std::memory_order_acquire);
    if (v == w.mtu_version) return;
    w.mtu_version = v;
    for (size_t i = 0; i < w.flow.collector_count(); ++i) {
        w.flow.set_mtu(i, mtu_now_[i].load(std::memory_order_relaxed), w.sink);
    }
}

void live_pipeline::run_worker(worker& w) {
    const size_t burst = std::min<size_t>(config_.io.burst, max_burst);
    std::array<rte_mbuf*, max_burst> mbufs{};
    unsigned bursts = 0;
    if (w.ring == nullptr) {
        // Fused: receive, decode, enrich, mediate, send, on this lcore.
        while (input_open_.load(std::memory_order_relaxed)) {
            apply_mtus(w);
            const size_t n = w.source->receive({mbufs.data(), burst}, w.rx);
            const uint64_t now = wall_ms();
            for (size_t i = 0; i < n; ++i) {
                if (i + 1 < n) prefetch_payload(mbufs[i + 1]);
                w.process(mbufs[i], now);
            }
            if (n) w.flow.flush(w.sink);  // packed output, while the burst's mbufs (origins) live
            w.tx->flush();
            if (n) rte_pktmbuf_free_bulk(mbufs.data(), static_cast<unsigned>(n));
            if (n == 0) {
                w.publish(false);
                w.source->idle();
            } else if (++bursts % publish_every == 0) {
                w.publish(false);
            }
        }
    } else {
        // Split: datagrams come over the ring; run until the receiver is done and the ring empty.
        for (;;) {
            apply_mtus(w);
            const unsigned n =
                rte_ring_sc_dequeue_burst(w.ring, reinterpret_cast<void**>(mbufs.data()), static_cast<unsigned>(burst), nullptr);
            if (n == 0) {
                if (receiver_done_.load(std::memory_order_acquire) && rte_ring_empty(w.ring)) break;
                w.tx->flush();
                w.publish(false);
                rte_delay_us_sleep(200);
                continue;
            }
            for (unsigned i = 0; i < n; ++i) {  // written by the RX lcore, on another core
                rte_prefetch0(mbufs[i]);
                rte_prefetch0(rte_mbuf_to_priv(mbufs[i]));
            }
            const uint64_t now = wall_ms();
            for (unsigned i = 0; i < n; ++i) {
                if (i + 1 < n) prefetch_payload(mbufs[i + 1]);
                w.process(mbufs[i], now);
            }
            w.flow.flush(w.sink);
            w.tx->flush();
            rte_pktmbuf_free_bulk(mbufs.data(), n);
            if (++bursts % publish_every == 0) w.publish(false);
        }
    }
    w.tx->flush();
    w.publish(true);
}

void live_pipeline::run_receiver() {
    receiver& r = *receiver_;
    const size_t burst = std::min<size_t>(config_.io.burst, max_burst);
    const size_t nw = workers_.size();
    std::array<rte_mbuf*, max_burst> mbufs{};
    std::vector<std::array<rte_mbuf*, max_burst>> per_worker(nw);
    std::vector<unsigned> counts(nw);
    unsigned bursts = 0;
    while (input_open_.load(std::memory_order_relaxed)) {
        const size_t n = r.source->receive({mbufs.data(), burst}, r.counters);
        std::fill(counts.begin(), counts.end(), 0u);
        for (size_t i = 0; i < n; ++i) {
            // By exporter address only, so all of a router's streams (and ports) share a worker.
            const size_t w = proto::ip_address_hash{}(origin(mbufs[i]).address) % nw;
            per_worker[w][counts[w]++] = mbufs[i];
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
        if (n == 0 || ++bursts % publish_every == 0) {
            std::unique_lock lock(r.snapshot_mutex, std::try_to_lock);
            if (lock) r.snapshot = r.counters;
        }
        if (n == 0) r.source->idle();
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

std::vector<traffic_tally*> live_pipeline::tallies() const {
    std::vector<traffic_tally*> out;
    for (const auto& w : workers_) out.push_back(&w->tally);
    return out;
}

std::vector<record_tap*> live_pipeline::taps() const {
    std::vector<record_tap*> out;
    for (const auto& w : workers_) out.push_back(&w->tap);
    return out;
}

live_stats live_pipeline::stats() const {
    live_stats s;
    for (const auto& w : workers_) {
        s.tap_drops += w->tap.drops() + w->tap.unmatched();
        std::lock_guard lock(w->snapshot_mutex);
        s.io += w->snapshot.io;
        s.decode += w->snapshot.decode;
        s.enrich += w->snapshot.enrich;
        if (s.collectors.size() < w->snapshot.collectors.size()) s.collectors.resize(w->snapshot.collectors.size());
        for (size_t i = 0; i < w->snapshot.collectors.size(); ++i) s.collectors[i] += w->snapshot.collectors[i];
        if (s.collectors_tx.size() < w->snapshot.collectors_tx.size()) s.collectors_tx.resize(w->snapshot.collectors_tx.size());
        for (size_t i = 0; i < w->snapshot.collectors_tx.size(); ++i) s.collectors_tx[i] += w->snapshot.collectors_tx[i];
    }
    if (receiver_) {
        std::lock_guard lock(receiver_->snapshot_mutex);
        s.io += receiver_->snapshot;
    }
    if (backend_) {
        s.backend = backend_->counters();
        s.kernel_drops = s.backend.kernel_drops;
    }
    if (links_) s.links = links_();
    for (size_t i = 0; mtu_now_ && i < config_.forwarding.collectors.size(); ++i) {
        s.mtus.push_back(mtu_now_[i].load(std::memory_order_relaxed));
    }
    return s;
}

std::string live_pipeline::describe() const { return backend_ ? backend_->describe() : std::string(); }

}  // namespace ipfix::pipeline
