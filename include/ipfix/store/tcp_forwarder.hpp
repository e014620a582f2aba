// One TCP collector's sender (RFC 7011 §10.4), on its own thread so no worker ever waits: the
// workers' IPFIX messages arrive over per-worker queues and are written to the connection as
// they are (IPFIX messages delimit themselves by their length field). Each message gets a
// number when it leaves the queues; when the collector is down or slow (more than
// max_unacked_bytes written and not yet acknowledged) messages go to the spool instead, and
// are replayed from it in order once the collector is back, before live ones.
//
// On each new connection the templates of a domain (learnt from the messages the collector
// acknowledged, or that the spool dropped) go before that domain's first message, stamped
// with its sequence number. The connection is made non-blocking, retried with backoff
// (initial_backoff_ms doubling to max_backoff_ms). Acknowledgement is TCP's: the bytes the
// kernel no longer holds unacknowledged (SIOCOUTQ). What was written but not acknowledged when
// a connection ends goes back to the spool and is written again, whole, on the next one.
//
//   store::tcp_forwarder f(options, std::move(spool));   // spool may be null (store off)
//   pipe.divert(...f.queue(worker)...);   f.start();  ...  pipe.stop();  f.stop();
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/io/socket_address.hpp"
#include "ipfix/io/template_memory.hpp"
#include "ipfix/pipeline/collector_health.hpp"
#include "ipfix/pipeline/live_pipeline.hpp"
#include "ipfix/pipeline/message_queue.hpp"
#include "ipfix/store/spool.hpp"

namespace ipfix::store {

class template_store;

struct tcp_forwarder_options {
    io::socket_address collector;
    size_t workers = 1;
    size_t queue_capacity = 4096;           // messages per worker queue
    uint64_t initial_backoff_ms = 500;
    uint64_t max_backoff_ms = 30'000;
    size_t max_unacked_bytes = 1 << 20;     // beyond it new messages wait in the spool
    uint64_t close_timeout_ms = 2000;       // collector closed: time to finish what it was sent
    std::string store_path;                 // where the spool lives, for the log
};

class tcp_forwarder {
public:
    tcp_forwarder(tcp_forwarder_options options, std::unique_ptr<spool> backlog);
    ~tcp_forwarder();
    tcp_forwarder(const tcp_forwarder&) = delete;
    tcp_forwarder& operator=(const tcp_forwarder&) = delete;

    pipeline::message_queue& queue(size_t worker) { return *queues_.at(worker); }
    void start();
    // After the workers stopped: takes what the queues hold, writes for up to close_timeout_ms,
    // spools what was not acknowledged, commits and closes.
    void stop();
    pipeline::collector_health health() const;
    // Control thread (the log is its own): a refused spool write once, naming the store and
    // the reason, and the recovery once, with the messages lost meanwhile.
    void report_faults(std::ostream& log);

private:
    struct in_flight {
        uint64_t seq;
        uint64_t end;         // stream offset just past the message on this connection
        bool from_spool;
        std::vector<uint8_t> bytes;
    };

    void run();
    void step(uint64_t now, int wait_ms);
    void take(std::vector<uint8_t>& message, uint64_t now);
    void to_spool(uint64_t seq, std::span<const uint8_t> message);
    void hand(uint64_t seq, std::span<const uint8_t> message, bool from_spool);
    void replay();
    bool has_unsent_backlog() const;
    void connect(uint64_t now);
    void finish_connect(uint64_t now);
    void write_out();
    void read_in(uint64_t now);
    void acknowledge();
    void end_connection(uint64_t now);
    uint64_t unacked() const { return handed_ - acked_; }
    void publish();

    tcp_forwarder_options options_;
    std::unique_ptr<spool> spool_;
    std::vector<std::unique_ptr<pipeline::message_queue>> queues_;
    io::template_memory templates_;
    std::thread thread_;
    std::atomic<bool> running_{false};

    int fd_ = -1;
    pipeline::link_state state_ = pipeline::link_state::down;
    bool closing_ = false;          // the collector closed its side
    bool shut_ = false;             // we closed ours
    uint64_t closing_since_ = 0;
    uint64_t next_attempt_ = 0;
    uint64_t backoff_ms_;
    uint64_t next_seq_ = 0;
    uint64_t saved_templates_ = 0;  // templates_.version() last put in the spool
    uint64_t cursor_ = 0;           // the next spooled seq not yet handed to this connection
    std::vector<uint8_t> out_;      // bytes not yet written
    size_t out_pos_ = 0;
    uint64_t handed_ = 0, written_ = 0, acked_ = 0;  // stream offsets on this connection
    std::deque<in_flight> flight_;
    std::unordered_set<uint32_t> domains_;  // domains whose templates this connection has
    std::string last_error_;

    mutable std::mutex health_mutex_;
    pipeline::collector_health health_;   // the thread's own copy
    pipeline::collector_health shown_;    // what health() returns
    std::string shown_error_;             // the spool's last refusal
    uint64_t next_probe_ = 0;             // while the spool fails: when to try a write again
    bool fault_reported_ = false;         // control thread's
    uint64_t lost_before_ = 0;            // control thread's: spool_lost when the fault was logged
};

// One forwarder per TCP collector of the configuration (null for UDP ones), each spooling in
// the store's column family "spool" (none when `store` is null: what cannot be written is
// dropped, counted). The reason is logged when the spool cannot be had.
std::vector<std::unique_ptr<tcp_forwarder>> make_forwarders(const config::daemon_config& config, template_store* store,
                                                            std::ostream& log);
// The spools' write errors, lost messages and failing state, added to the store's stats.
void report(const std::vector<std::unique_ptr<tcp_forwarder>>& f, pipeline::store_stats& out);
// Worker `worker`'s queue per collector (null: not TCP), for live_pipeline::divert.
std::vector<pipeline::message_queue*> queues_for(const std::vector<std::unique_ptr<tcp_forwarder>>& f, size_t worker);
// Per collector (tcp = false for UDP ones), for live_pipeline::report_links.
std::vector<pipeline::collector_health> health_of(const std::vector<std::unique_ptr<tcp_forwarder>>& f);
// "connected, 120 acknowledged, 50 spooled, 50 replayed, 0 dropped, backlog 0 messages (0 bytes), 2 connects"
std::string summary(const pipeline::collector_health& h);

}  // namespace ipfix::store
