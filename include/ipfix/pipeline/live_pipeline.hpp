// The live data path on DPDK lcores: datagrams come in bursts from an I/O backend (kernel
// sockets, or DPDK ethdev ports: io_backend.hpp) as mbufs, run through flow_worker (decode,
// enrich, mediate) and the output goes back to the backend, to every collector, in bursts.
// These loops never know which backend fed them.
//
// Layouts (config io.layout):
//   fused  each worker lcore has its own source (a SO_REUSEPORT socket, or a port RX queue) and
//          runs every stage in one loop; the kernel's 4-tuple hash or the NIC's RSS keeps each
//          exporter on one worker.
//   split  one RX lcore receives and hashes each datagram by exporter address onto a worker's
//          rte_ring (single producer, single consumer, bursts); worker lcores do the rest.
// Workers never block, never allocate per packet once warm, never log: a full ring or an empty
// pool is a counted drop. An idle worker waits on its source for at most about 1 ms instead
// of spinning, so an idle appliance does not burn its cores.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/enrich/as_database.hpp"
#include "ipfix/pipeline/dpdk_env.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix/pipeline/collector_health.hpp"
#include "ipfix/pipeline/collector_mtu.hpp"
#include "ipfix/pipeline/io_backend.hpp"
#include "ipfix/pipeline/message_queue.hpp"

namespace ipfix::pipeline {

// The RocksDB store's counters, filled in by the daemon (the store lives off the pipeline).
struct store_stats {
    uint64_t template_write_errors = 0;
    uint64_t retention_records_written = 0;
    uint64_t retention_records = 0;         // held now
    uint64_t retention_bytes = 0;           // held now (encoded)
    uint64_t retention_expired_records = 0;
    uint64_t retention_dropped_records = 0; // over the size cap, oldest first
    uint64_t retention_write_errors = 0;
    uint64_t retention_lost_records = 0;    // in blocks that could not be written
    uint64_t spool_write_errors = 0;        // TCP collectors' spools, summed
    uint64_t spool_lost_messages = 0;       // in spool writes that failed
    uint64_t failing = 0;                   // 1 while a store write fails (the log says why)
};

struct live_stats {
    live_counters io;
    proto::decode_counters decode;
    enrich_counters enrich;
    std::vector<mediate::mediate_counters> collectors;
    std::vector<collector_tx_counters> collectors_tx;  // what the TX side did, per collector
    uint64_t kernel_drops = 0;     // datagrams the kernel dropped at our full socket buffers
    uint64_t tap_drops = 0;        // records not given to the tail or retention (a full tap)
    backend_counters backend;
    std::vector<collector_health> links;  // per collector: the TCP link (filled in by the daemon)
    std::vector<uint16_t> mtus;           // per collector: the MTU its output is split at now
    store_stats store;
};

class live_pipeline {
public:
    // `db` may be null (enrichment off); both must outlive the pipeline.
    live_pipeline(const config::daemon_config& config, const enrich::as_database* db, dpdk_env& env);
    ~live_pipeline();
    live_pipeline(const live_pipeline&) = delete;
    live_pipeline& operator=(const live_pipeline&) = delete;

    // Opens the backend (sockets or ports) and rings and launches the lcores. False with
    // `error` when the backend cannot open or there are too few lcores for the layout; nothing
    // runs then.
    bool start(std::string& error);
    // Stops taking input, lets the workers finish what the rings hold, flushes, joins.
    void stop();
    bool running() const { return running_.load(std::memory_order_relaxed); }

    // Summed over the lcores; safe to call while running (counters may be a burst behind).
    live_stats stats() const;
    // Each worker's record tap (after start()), for the control thread's record_feed.
    std::vector<record_tap*> taps() const;
    // Each worker's traffic tally (after start()), for the stats port's read_traffic().
    std::vector<traffic_tally*> tallies() const;
    // The UDP port actually bound (the configured one, or the kernel's pick for port 0).
    uint16_t listen_port() const { return listen_port_; }
    // Where the pipeline listens, for the log (after start()).
    std::string describe() const;

    // Each collector's MTU as start() chose it (`mtu: auto` asks the backend), for the log.
    const std::vector<mtu_choice>& mtus() const { return mtus_; }
    // Asks the backend again for `collectors` (the running list, or a reloaded one with the
    // same collectors in the same order, their MTUs aside) and hands the MTUs that changed to the workers, which split at them from
    // their next burst. Control thread, after start(). Returns every collector's choice.
    std::vector<mtu_choice> update_mtus(const std::vector<config::collector_config>& collectors);

    // Called with each worker's index and flow_worker once made and before its lcore runs (from
    // start(), on the caller's thread): to install state (stored templates) or attach queues.
    void on_worker_ready(std::function<void(size_t, flow_worker&)> f) { worker_ready_ = std::move(f); }
    // Before start(): worker `i`'s output for collector c goes to queues(i)[c] where not null
    // (TCP collectors' senders) instead of the backend.
    void divert(std::function<std::vector<message_queue*>(size_t)> queues) { divert_ = std::move(queues); }
    // Where stats() takes live_stats::links from (the TCP senders live off the pipeline).
    void report_links(std::function<std::vector<collector_health>()> f) { links_ = std::move(f); }

    struct worker;  // one per worker lcore (in the .cpp)
    struct receiver;

private:
    void run_worker(worker& w);
    void apply_mtus(worker& w);
    void run_receiver();

    const config::daemon_config& config_;
    const enrich::as_database* db_;
    dpdk_env& env_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::unique_ptr<io_backend> backend_;
    std::unique_ptr<receiver> receiver_;  // split layout only
    std::atomic<bool> running_{false};
    std::atomic<bool> input_open_{false};
    std::atomic<bool> receiver_done_{false};
    uint16_t listen_port_ = 0;
    std::vector<mtu_choice> mtus_;
    // What update_mtus() publishes: the values, then the version the workers watch.
    std::unique_ptr<std::atomic<uint16_t>[]> mtu_now_;
    std::atomic<uint32_t> mtu_version_{0};
    std::function<void(size_t, flow_worker&)> worker_ready_;
    std::function<std::vector<message_queue*>(size_t)> divert_;
    std::function<std::vector<collector_health>()> links_;
};

}  // namespace ipfix::pipeline
