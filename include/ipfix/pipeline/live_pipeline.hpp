// The live data path on DPDK lcores with the socket backend: datagrams are received in bursts
// (recvmmsg) into mbufs of the EAL's pool, run through flow_worker (decode, enrich, mediate) and
// the output, copied into mbufs, is sent to every collector in bursts (sendmmsg, or the raw
// socket where a collector keeps the exporter's source address).
//
// Layouts (config io.layout):
//   fused  each worker lcore owns a SO_REUSEPORT socket on the listen port and runs every stage
//          in one loop; the kernel's 4-tuple hash keeps each exporter on one worker.
//   split  one RX lcore receives and hashes each datagram by exporter address onto a worker's
//          rte_ring (single producer, single consumer, bursts); worker lcores do the rest.
// Workers never block, never allocate per packet once warm, never log: a full ring or an empty
// pool is a counted drop. An idle worker waits on its socket in poll() for at most 1 ms instead
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

namespace ipfix::pipeline {

// One worker's (or the RX lcore's) counters: single writer, relaxed loads by the control thread.
struct live_counters {
    uint64_t rx_datagrams = 0;
    uint64_t rx_bytes = 0;
    uint64_t rx_truncated = 0;     // longer than an mbuf's data room: dropped
    uint64_t pool_empty = 0;       // bursts cut short for lack of mbufs
    uint64_t ring_full = 0;        // datagrams dropped at a full worker ring (split layout)
    uint64_t tx_datagrams = 0;
    uint64_t tx_bytes = 0;
    uint64_t tx_dropped = 0;       // send errors, full socket buffers, no mbuf for the copy
    live_counters& operator+=(const live_counters& o);
};

struct live_stats {
    live_counters io;
    proto::decode_counters decode;
    enrich_counters enrich;
    std::vector<mediate::mediate_counters> collectors;
    uint64_t kernel_drops = 0;     // datagrams the kernel dropped at our full socket buffers
};

class live_pipeline {
public:
    // `db` may be null (enrichment off); both must outlive the pipeline.
    live_pipeline(const config::daemon_config& config, const enrich::as_database* db, dpdk_env& env);
    ~live_pipeline();
    live_pipeline(const live_pipeline&) = delete;
    live_pipeline& operator=(const live_pipeline&) = delete;

    // Opens the sockets and rings and launches the lcores. False with `error` when a socket
    // cannot be bound or there are too few lcores for the layout; nothing runs then.
    bool start(std::string& error);
    // Stops taking input, lets the workers finish what the rings hold, flushes, joins.
    void stop();
    bool running() const { return running_.load(std::memory_order_relaxed); }

    // Summed over the lcores; safe to call while running (counters may be a burst behind).
    live_stats stats() const;
    // The UDP port actually bound (the configured one, or the kernel's pick for port 0).
    uint16_t listen_port() const { return listen_port_; }

    // Called with each worker's index and flow_worker once made and before its lcore runs (from
    // start(), on the caller's thread): to install state (stored templates) or attach queues.
    void on_worker_ready(std::function<void(size_t, flow_worker&)> f) { worker_ready_ = std::move(f); }

    struct worker;  // one per worker lcore (in the .cpp)
    struct receiver;

private:
    void run_worker(worker& w);
    void run_receiver();

    const config::daemon_config& config_;
    const enrich::as_database* db_;
    dpdk_env& env_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::unique_ptr<receiver> receiver_;  // split layout only
    std::atomic<bool> running_{false};
    std::atomic<bool> input_open_{false};
    std::atomic<bool> receiver_done_{false};
    uint16_t listen_port_ = 0;
    std::function<void(size_t, flow_worker&)> worker_ready_;
};

}  // namespace ipfix::pipeline
