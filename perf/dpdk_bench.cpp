// The daemon's live pipeline (io.backend dpdk, fused layout) on in-memory ethdev ports made
// from rte_rings (rte_eth_from_rings: one RX and one TX ring per queue), fed by the main lcore:
// records/s per worker core, for 1..N workers, each a fresh pipeline in the same run.
//
//   dpdk_bench CAPTURE.pcap [--make-capture PATH] [--db FILE|none]... [--max-workers N] [--seconds S]
//              [--frames N] [--reps N] [--max-datagrams N] [--rx-ring N] [--lcores SPEC] [--verify] [--check]
//              [--nic-checksums]
//
// The feeder plays the NIC and the wire: Ethernet/IPv4|IPv6/UDP frames are built once around
// the capture's payloads (from each exporter's own address to the port's address and listen
// port, valid checksums), copied into mbufs and put on the RX rings, each exporter on one queue
// (what RSS would do; net_ring has none), for --frames frames or --seconds, whichever comes
// first; the TX rings are drained and counted (frames, bytes; records by decoding the output
// with --verify). The collector is reached through a static neighbour (no ARP). Enrichment uses
// the first --db that exists ("none": enrichment off). Per worker core means per second of the
// worker lcores' thread CPU time (pthread_getcpuclockid), as the lcores share the CPUs with
// the feeder and, on a small box, with everything else.
// --nic-checksums: the feeder marks every frame's checksums good, as a NIC with RX checksum
// offload would, so the port path does not sum the payload again.
// --check: exit 1 unless, for every worker count, records out == records in exactly, nothing
// was dropped, and (with --verify) the output decodes to exactly the input's records.
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/enrich/as_database.hpp"
#include "ipfix/enrich/table_loader.hpp"
#include "ipfix/io/eth/frame.hpp"
#include "ipfix/pipeline/dpdk_env.hpp"
#include "ipfix/pipeline/live_pipeline.hpp"
#include "ipfix/proto/decoder.hpp"
#include "frame_feed.hpp"
#include "pcap_payloads.hpp"

namespace {

using namespace ipfix;
using steady = std::chrono::steady_clock;

constexpr double target_per_core = 5e6;
constexpr unsigned tx_ring_size = 4096;
constexpr unsigned feed_burst = 32;
constexpr uint16_t listen_port = 2055;
constexpr uint16_t collector_port = 2056;
constexpr const char* our_v4 = "10.99.0.1";
constexpr const char* our_v6 = "2001:db8:99::1";
constexpr const char* collector_v4 = "10.99.0.2";
constexpr const char* collector_mac = "02:00:00:00:99:02";
constexpr io::eth::mac_address exporter_mac = {0x02, 0x00, 0x00, 0x00, 0x99, 0x10};

struct settings {
    std::string capture;
    std::string make_capture;
    std::vector<std::string> dbs;
    unsigned max_workers = 2;
    double seconds = 3;
    uint64_t frames = 10'000'000;  // 0: --seconds alone bounds a run
    size_t max_datagrams = 0;
    std::string lcores;
    unsigned rx_ring = 2048;  // frames per RX ring (NIC descriptors)
    unsigned reps = 3;        // runs per worker count; the median by records/s per core is shown
    bool verify = false;
    bool check = false;
    bool nic_checksums = false;  // frames arrive marked as a NIC with RX checksum offload marks them
};

// ---- per-thread CPU clocks of the lcores ----------------------------------------------------

std::array<clockid_t, RTE_MAX_LCORE> lcore_clock{};

int note_clock(void*) {
    pthread_getcpuclockid(pthread_self(), &lcore_clock[rte_lcore_id()]);
    return 0;
}

double clock_seconds(clockid_t c) {
    timespec ts{};
    clock_gettime(c, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double workers_cpu_seconds() {
    double s = 0;
    unsigned id = 0;
    RTE_LCORE_FOREACH_WORKER(id) s += clock_seconds(lcore_clock[id]);
    return s;
}

// ---- one run: a fresh pipeline with `workers` workers ----------------------------------------

struct run_result {
    unsigned workers = 0;
    uint64_t frames_in = 0, records_in = 0;
    uint64_t frames_out = 0, bytes_out = 0, records_out = 0;  // records_out: the mediators' count
    uint64_t records_decoded = 0, malformed_out = 0;           // --verify: the output decoded
    uint64_t feeder_pool_waits = 0;                             // feeder found the pool empty
    double wall_s = 0, workers_cpu_s = 0, feeder_cpu_s = 0;
    std::vector<uint64_t> queue_records;
    pipeline::live_stats stats;
    std::map<std::string, uint64_t> drops;
    bool drained = false;
    double per_core_min = 0, per_core_max = 0;  // over the repetitions
    unsigned reps = 1;

    double per_core() const { return static_cast<double>(records_out) / workers_cpu_s; }
    double total() const { return static_cast<double>(records_out) / wall_s; }
};

uint64_t total_drops(const run_result& r) {
    uint64_t n = 0;
    for (const auto& [k, v] : r.drops) n += v;
    return n;
}

std::string make_yaml(unsigned workers, const std::string& device, const std::string& db) {
    std::string y = "general:\n  listen_port: " + std::to_string(listen_port) + "\n";
    y += "enrichment:\n";
    if (db.empty()) y += "  as_extraction: false\n";
    else y += "  asn_database: " + db + "\n  country_database: \"\"\n";
    y += "forwarding:\n  collectors:\n    - host: ";
    y += collector_v4;
    y += "\n      port: " + std::to_string(collector_port) + "\n      version: ipfix\n";
    y += "performance:\n  workers: " + std::to_string(workers) + "\n";
    y += "io:\n  backend: dpdk\n  layout: fused\n  dpdk:\n    ports:\n      - device: " + device + "\n";
    y += "        address: ";
    y += our_v4;
    y += "/24\n        address6: ";
    y += our_v6;
    y += "/64\n        neighbours:\n          - address: ";
    y += collector_v4;
    y += "\n            mac: \"";
    y += collector_mac;
    y += "\"\n";
    y += "store:\n  enabled: false\n";
    return y;
}

// Counts (and with --verify decodes) what the workers sent; one decoder per TX queue, as each
// worker's output streams are its own.
struct tx_counter {
    std::vector<proto::decoder> decoders;
    proto::decoded_message msg;
    bool verify = false;
    uint64_t frames = 0, bytes = 0, records = 0, malformed = 0;

    void take(unsigned queue, rte_mbuf* const* m, unsigned n) {
        for (unsigned i = 0; i < n; ++i) {
            ++frames;
            bytes += m[i]->pkt_len;
            if (!verify) continue;
            const auto* p = rte_pktmbuf_mtod(m[i], const uint8_t*);
            const size_t len = m[i]->data_len;
            const bool v6 = len > 14 && p[12] == 0x86 && p[13] == 0xDD;
            const size_t ip = v6 ? 40 : len > 14 ? static_cast<size_t>(p[14] & 0x0F) * 4 : 0;
            const size_t at = 14 + ip + 8;
            if (at > len) {
                ++malformed;
                continue;
            }
            const proto::exporter_endpoint from{proto::ip_address::v4_host(queue + 1), collector_port};
            decoders[queue].decode(from, {p + at, len - at}, 0, msg);
            records += msg.records.size();
            malformed += msg.malformed;
        }
    }
};

// The main lcore's side of the port: puts frames on the RX rings while they have room (each
// queue replays its exporters' frames round and round) and takes the output off the TX rings.
class ring_feeder {
public:
    ring_feeder(const perf::frame_input& in, std::vector<std::vector<size_t>> per_queue, std::vector<rte_ring*> rx,
                std::vector<rte_ring*> tx, rte_mempool* pool, tx_counter& out, bool nic_checksums)
        : in_(in), per_queue_(std::move(per_queue)), rx_(std::move(rx)), tx_(std::move(tx)), pool_(pool), out_(out),
          cursors_(rx_.size()),
          rx_flags_(nic_checksums ? RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0) {}

    // One burst onto every RX ring with room, without going over `limit` frames in all.
    // Returns the frames put on.
    unsigned fill(uint64_t limit) {
        unsigned moved = 0;
        for (size_t q = 0; q < rx_.size() && frames_ < limit; ++q) {
            const std::vector<size_t>& list = per_queue_[q];
            if (list.empty() || rte_ring_free_count(rx_[q]) < feed_burst) continue;
            const auto n = static_cast<unsigned>(std::min<uint64_t>(feed_burst, limit - frames_));
            if (rte_pktmbuf_alloc_bulk(pool_, burst_.data(), n) != 0) {
                ++pool_waits_;
                continue;
            }
            cursor& c = cursors_[q];
            for (unsigned k = 0; k < n; ++k) {
                const perf::feed_frame& f = in_.frames[list[c.next]];
                std::memcpy(rte_pktmbuf_mtod(burst_[k], uint8_t*), in_.bytes.data() + f.offset, f.length);
                burst_[k]->data_len = f.length;
                burst_[k]->pkt_len = f.length;
                burst_[k]->ol_flags = rx_flags_;
                records_ += c.wrapped ? f.records_again : f.records_first;
                if (++c.next == list.size()) {
                    c.next = 0;
                    c.wrapped = true;
                }
            }
            // Room was checked and this is the only producer: the whole burst goes in.
            rte_ring_sp_enqueue_bulk(rx_[q], reinterpret_cast<void**>(burst_.data()), n, nullptr);
            frames_ += n;
            moved += n;
        }
        return moved;
    }

    // Counts and frees what the workers sent; returns the frames taken.
    unsigned drain() {
        unsigned taken = 0;
        for (size_t q = 0; q < tx_.size(); ++q) {
            unsigned n = 0;
            while ((n = rte_ring_sc_dequeue_burst(tx_[q], reinterpret_cast<void**>(burst_.data()),
                                                  static_cast<unsigned>(burst_.size()), nullptr)) > 0) {
                out_.take(static_cast<unsigned>(q), burst_.data(), n);
                rte_pktmbuf_free_bulk(burst_.data(), n);
                taken += n;
            }
        }
        return taken;
    }

    bool rx_empty() const {
        return std::all_of(rx_.begin(), rx_.end(), [](const rte_ring* r) { return rte_ring_empty(r) != 0; });
    }
    uint64_t frames() const { return frames_; }
    uint64_t records() const { return records_; }
    uint64_t pool_waits() const { return pool_waits_; }

private:
    struct cursor {
        size_t next = 0;
        bool wrapped = false;  // the queue's exporters came round again
    };
    const perf::frame_input& in_;
    std::vector<std::vector<size_t>> per_queue_;
    std::vector<rte_ring*> rx_, tx_;
    rte_mempool* pool_;
    tx_counter& out_;
    std::vector<cursor> cursors_;
    uint64_t rx_flags_;
    std::array<rte_mbuf*, 512> burst_{};
    uint64_t frames_ = 0, records_ = 0, pool_waits_ = 0;
};

run_result run(const settings& s, perf::frame_input& in, pipeline::dpdk_env& env, const enrich::as_database* db,
               const std::string& db_path, unsigned workers, unsigned rep) {
    run_result r;
    r.workers = workers;
    const int socket = static_cast<int>(rte_socket_id());
    std::vector<rte_ring*> rx(workers), tx(workers);
    const std::string tag = "dbench" + std::to_string(workers) + "r" + std::to_string(rep);
    for (unsigned q = 0; q < workers; ++q) {
        rx[q] = rte_ring_create((tag + "rx" + std::to_string(q)).c_str(), s.rx_ring, socket,
                                RING_F_SP_ENQ | RING_F_SC_DEQ);
        tx[q] = rte_ring_create((tag + "tx" + std::to_string(q)).c_str(), tx_ring_size, socket,
                                RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!rx[q] || !tx[q]) throw std::runtime_error("cannot create the rings of " + tag);
    }
    const int port = rte_eth_from_rings(tag.c_str(), rx.data(), workers, tx.data(), workers,
                                        static_cast<unsigned>(socket < 0 ? 0 : socket));
    if (port < 0) throw std::runtime_error("rte_eth_from_rings failed for " + tag);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(static_cast<uint16_t>(port), &mac);
    io::eth::mac_address port_mac{};
    std::memcpy(port_mac.data(), mac.addr_bytes, port_mac.size());
    in.set_destination(port_mac);  // the ring PMD picks a MAC per port
    const std::vector<std::vector<size_t>> per_queue = perf::spread_over_queues(in, workers, r.queue_records);

    const config::daemon_config cfg = config::parse(make_yaml(workers, "net_ring_" + tag, db_path), "dpdk_bench", false);
    tx_counter out;
    out.verify = s.verify;
    out.decoders.resize(workers);
    {
        pipeline::live_pipeline p(cfg, db, env);
        std::string error;
        if (!p.start(error)) throw std::runtime_error("pipeline: " + error);

        ring_feeder feed(in, per_queue, rx, tx, env.pool(), out, s.nic_checksums);
        const double cpu0 = workers_cpu_seconds();
        const double feeder0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
        const steady::time_point t0 = steady::now();
        const auto feed_until = t0 + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s.seconds));
        const uint64_t limit = s.frames ? s.frames : UINT64_MAX;
        while (feed.frames() < limit && steady::now() < feed_until) {
            const unsigned moved = feed.fill(limit) + feed.drain();
            // Rings full and nothing sent: give the CPUs (shared with the workers) back a while;
            // an RX ring holds milliseconds of a worker's work.
            if (moved == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        // Let the workers finish: every frame taken off the RX rings and every output counted.
        const steady::time_point give_up = steady::now() + std::chrono::seconds(10);
        for (;;) {
            feed.drain();
            const pipeline::live_stats st = p.stats();
            r.drained = feed.rx_empty() && st.io.rx_frames == feed.frames() && st.io.tx_datagrams == out.frames;
            if (r.drained || steady::now() > give_up) break;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        const steady::time_point t1 = steady::now();
        const double cpu1 = workers_cpu_seconds();
        r.feeder_cpu_s = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - feeder0;
        r.wall_s = std::chrono::duration<double>(t1 - t0).count();
        r.workers_cpu_s = cpu1 - cpu0;
        p.stop();
        feed.drain();
        r.stats = p.stats();
        r.frames_in = feed.frames();
        r.records_in = feed.records();
        r.feeder_pool_waits = feed.pool_waits();
    }
    // The port was closed with the pipeline; its rings (and what a stopped run left on them) are ours.
    std::array<rte_mbuf*, 512> left{};
    for (unsigned q = 0; q < workers; ++q) {
        for (rte_ring* ring : {rx[q], tx[q]}) {
            unsigned n = 0;
            while ((n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(left.data()), 512, nullptr)) > 0) {
                rte_pktmbuf_free_bulk(left.data(), n);
            }
            rte_ring_free(ring);
        }
    }
    r.frames_out = out.frames;
    r.bytes_out = out.bytes;
    r.records_decoded = out.records;
    r.malformed_out = out.malformed;
    for (const mediate::mediate_counters& c : r.stats.collectors) r.records_out += c.records_out;
    const pipeline::live_counters& io = r.stats.io;
    r.drops = {{"rx_truncated", io.rx_truncated},     {"pool_empty", io.pool_empty},
               {"ring_full", io.ring_full},           {"tx_dropped", io.tx_dropped},
               {"tx_unresolved", io.tx_unresolved},   {"not_for_us", io.drop_not_for_us},
               {"not_ip", io.drop_not_ip},            {"not_udp", io.drop_not_udp},
               {"wrong_port", io.drop_wrong_port},    {"fragment", io.drop_fragment},
               {"bad_checksum", io.drop_bad_checksum}, {"malformed_frame", io.drop_malformed},
               {"decode_malformed", r.stats.decode.malformed_total()}};
    for (const mediate::mediate_counters& c : r.stats.collectors) {
        r.drops["records_too_big"] += c.records_too_big;
        r.drops["unknown_sets_dropped"] += c.unknown_sets_dropped;
    }
    return r;
}

// ---- reporting ------------------------------------------------------------------------------

std::vector<std::string> problems(const settings& s, const run_result& r) {
    std::vector<std::string> p;
    auto n = [](uint64_t v) { return std::to_string(v); };
    if (!r.drained) p.push_back("the workers did not take every frame within 10 s of the feed's end");
    if (r.stats.io.rx_datagrams != r.frames_in) p.push_back("datagrams taken " + n(r.stats.io.rx_datagrams) + " != frames fed " + n(r.frames_in));
    if (r.stats.decode.records != r.records_in) p.push_back("records decoded " + n(r.stats.decode.records) + " != records fed " + n(r.records_in));
    if (r.records_out != r.records_in) p.push_back("records out " + n(r.records_out) + " != records in " + n(r.records_in));
    if (r.frames_out != r.stats.io.tx_datagrams) p.push_back("frames on the TX rings " + n(r.frames_out) + " != datagrams sent " + n(r.stats.io.tx_datagrams));
    if (s.verify && r.records_decoded != r.records_in) p.push_back("output decodes to " + n(r.records_decoded) + " records, fed " + n(r.records_in));
    if (s.verify && r.malformed_out) p.push_back("output has " + n(r.malformed_out) + " malformed events");
    for (const auto& [k, v] : r.drops) {
        if (v) p.push_back("drops " + k + ": " + n(v));
    }
    return p;
}

double busy(const run_result& r) { return r.workers_cpu_s / (r.wall_s * r.workers); }

void print_table(const std::vector<run_result>& rs) {
    std::printf("\n%7s %10s %12s %7s %9s %5s %8s %12s %12s %15s %6s %6s %6s\n", "workers", "frames", "records", "wall_s",
                "wkr_cpu_s", "busy", "feed_cpu", "Mrec/s total", "Mrec/s/core", "(min .. max)", "vs 5M", "scale",
                "drops");
    const double base = rs.empty() ? 0 : rs[0].total();
    for (const run_result& r : rs) {
        std::printf("%7u %10llu %12llu %7.3f %9.3f %5.2f %8.3f %12.2f %12.2f  (%5.2f .. %5.2f) %6.2f %6.2f %6llu\n",
                    r.workers, static_cast<unsigned long long>(r.frames_in),
                    static_cast<unsigned long long>(r.records_out), r.wall_s, r.workers_cpu_s, busy(r), r.feeder_cpu_s,
                    r.total() / 1e6, r.per_core() / 1e6, r.per_core_min / 1e6, r.per_core_max / 1e6,
                    r.per_core() / target_per_core, base > 0 ? r.total() / base : 0,
                    static_cast<unsigned long long>(total_drops(r)));
    }
}

void print_json(const std::vector<run_result>& rs, const std::string& lcores, const std::string& db) {
    const double base = rs.empty() ? 0 : rs[0].total();
    const double base_core = rs.empty() ? 0 : rs[0].per_core();
    for (const run_result& r : rs) {
        std::printf("{\"benchmark\":\"dpdk\",\"workers\":%u,\"reps\":%u,\"frames_in\":%llu,\"records_in\":%llu,"
                    "\"records_out\":%llu,\"frames_out\":%llu,\"bytes_out\":%llu,\"wall_s\":%.4f,\"workers_cpu_s\":%.4f,"
                    "\"feeder_cpu_s\":%.4f,\"workers_busy\":%.3f,\"records_per_s\":%.0f,\"records_per_s_per_core\":%.0f,"
                    "\"records_per_s_per_core_min\":%.0f,\"records_per_s_per_core_max\":%.0f,"
                    "\"per_core_basis\":\"workers_thread_cpu_time\",\"records_per_s_per_worker_wall\":%.0f,"
                    "\"ratio_vs_target\":%.3f,\"scaling_vs_1\":%.3f,\"per_core_vs_1\":%.3f,\"drops\":{",
                    r.workers, r.reps, static_cast<unsigned long long>(r.frames_in),
                    static_cast<unsigned long long>(r.records_in), static_cast<unsigned long long>(r.records_out),
                    static_cast<unsigned long long>(r.frames_out), static_cast<unsigned long long>(r.bytes_out), r.wall_s,
                    r.workers_cpu_s, r.feeder_cpu_s, busy(r), r.total(), r.per_core(), r.per_core_min, r.per_core_max,
                    r.total() / r.workers, r.per_core() / target_per_core, base > 0 ? r.total() / base : 0,
                    base_core > 0 ? r.per_core() / base_core : 0);
        bool first = true;
        for (const auto& [k, v] : r.drops) {
            std::printf("%s\"%s\":%llu", first ? "" : ",", k.c_str(), static_cast<unsigned long long>(v));
            first = false;
        }
        std::printf("},\"feeder_pool_waits\":%llu,\"lcores\":\"%s\",\"database\":\"%s\"}\n",
                    static_cast<unsigned long long>(r.feeder_pool_waits), lcores.c_str(), db.c_str());
    }
}

// ---- setup ----------------------------------------------------------------------------------

void ensure_capture(const std::string& tool, const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(path, ec) && fs::last_write_time(path, ec) >= fs::last_write_time(tool, ec) && !ec) return;
    std::printf("generating %s\n", path.c_str());
    std::fflush(stdout);
    std::vector<char*> args{const_cast<char*>(tool.c_str()), const_cast<char*>("--out"), const_cast<char*>(path.c_str()),
                            nullptr};
    pid_t pid = 0;
    int status = 0;
    if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0 || waitpid(pid, &status, 0) != pid ||
        !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("failed: " + tool);
    }
}

bool parse_args(int argc, char** argv, settings& s) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--verify") {
            s.verify = true;
            continue;
        }
        if (a == "--check") {
            s.check = true;
            continue;
        }
        if (a == "--nic-checksums") {
            s.nic_checksums = true;
            continue;
        }
        if (a.size() > 2 && a.substr(0, 2) == "--") {
            if (i + 1 >= argc) return false;
            const std::string_view v = argv[++i];
            auto number = [&](auto& out) {
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
                return ec == std::errc{} && end == v.data() + v.size();
            };
            if (a == "--seconds") {
                char* end = nullptr;
                s.seconds = std::strtod(argv[i], &end);
                if (*end != '\0' || !(s.seconds > 0) || s.seconds > 600) return false;
            } else if (a == "--max-workers") {
                if (!number(s.max_workers) || s.max_workers < 1 || s.max_workers > 64) return false;
            } else if (a == "--frames") {
                if (!number(s.frames)) return false;
            } else if (a == "--reps") {
                if (!number(s.reps) || s.reps < 1 || s.reps > 20) return false;
            } else if (a == "--rx-ring") {
                if (!number(s.rx_ring) || s.rx_ring < 64 || s.rx_ring > 65536 || (s.rx_ring & (s.rx_ring - 1)) != 0) return false;
            } else if (a == "--max-datagrams") {
                if (!number(s.max_datagrams)) return false;
            } else if (a == "--make-capture") {
                s.make_capture = v;
            } else if (a == "--db") {
                s.dbs.emplace_back(v);
            } else if (a == "--lcores") {
                s.lcores = v;
            } else {
                return false;
            }
        } else if (s.capture.empty()) {
            s.capture = a;
        } else {
            return false;
        }
    }
    return !s.capture.empty();
}

}  // namespace

int main(int argc, char** argv) try {
    settings s;
    if (!parse_args(argc, argv, s)) {
        std::fprintf(stderr,
                     "usage: dpdk_bench CAPTURE.pcap [--make-capture PATH] [--db FILE|none]... [--max-workers N]\n"
                     "                  [--seconds S] [--frames N] [--reps N] [--max-datagrams N] [--rx-ring N] [--lcores SPEC]\n"
                     "                  [--verify] [--check] [--nic-checksums]\n");
        return 2;
    }
    if (!s.make_capture.empty()) ensure_capture(s.make_capture, s.capture);
    perf::datagram_set capture = perf::load_udp_payloads(s.capture, 4739);
    if (s.max_datagrams && capture.datagrams.size() > s.max_datagrams) capture.datagrams.resize(s.max_datagrams);
    if (capture.datagrams.empty()) throw std::runtime_error(s.capture + ": no UDP datagrams to port 4739");
    perf::frame_input in = perf::build_frames(capture, {*proto::ip_address::parse(our_v4),
                                                        *proto::ip_address::parse(our_v6), listen_port, exporter_mac});
    std::printf("input: %s: %zu datagrams from %zu exporters, %llu records per pass (%.1f per datagram)\n",
                s.capture.c_str(), in.frames.size(), in.exporters.size(),
                static_cast<unsigned long long>(in.records_per_pass),
                static_cast<double>(in.records_per_pass) / static_cast<double>(in.frames.size()));

    std::string db_path;
    for (const std::string& d : s.dbs) {
        if (d == "none" || std::filesystem::exists(d)) {
            db_path = d == "none" ? "" : d;
            break;
        }
    }
    if (!s.dbs.empty() && db_path.empty() && std::find(s.dbs.begin(), s.dbs.end(), "none") == s.dbs.end()) {
        throw std::runtime_error("none of the --db files exists");
    }
    std::unique_ptr<enrich::as_database> db;
    if (!db_path.empty()) {
        db = std::make_unique<enrich::as_database>(enrich::load_table({db_path}));
        const enrich::table_stats& ts = db->snapshot()->stats();
        std::printf("database: %s: IPv4 %zu segments, IPv6 %zu segments, %.1f MiB compiled\n", db_path.c_str(),
                    ts.v4_segments, ts.v6_segments, static_cast<double>(ts.memory_bytes) / (1 << 20));
    } else {
        std::printf("database: none (enrichment off)\n");
    }

    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    if (s.lcores.empty()) {
        s.lcores = "(0-" + std::to_string(s.max_workers) + ")@(0-" + std::to_string(cpus - 1) + ")";
    }
    const uint32_t mbufs = std::max<uint32_t>(16384, s.max_workers * (s.rx_ring + tx_ring_size) + 8192);
    const std::string memory = std::to_string(std::max<uint32_t>(512, mbufs / 100 + 128));
    const std::vector<std::string> eal = {"--no-huge", "--no-pci", "--no-shconf", "-m", memory, "--lcores=" + s.lcores,
                                          "--log-level=lib.*:error"};
    std::string error;
    auto env = pipeline::dpdk_env::start(eal, mbufs, error);
    if (!env) throw std::runtime_error(error);
    if (env->worker_lcores() < s.max_workers) {
        throw std::runtime_error("--lcores " + s.lcores + " gives " + std::to_string(env->worker_lcores()) +
                                 " worker lcores, --max-workers wants " + std::to_string(s.max_workers));
    }
    unsigned id = 0;
    RTE_LCORE_FOREACH_WORKER(id) rte_eal_remote_launch(note_clock, nullptr, id);
    rte_eal_mp_wait_lcore();
    std::printf("EAL: --lcores=%s: main lcore feeds and drains the rings, worker lcores 1..%u; %u CPUs, so the "
                "lcores float over them and share them with the feeder\n",
                s.lcores.c_str(), env->worker_lcores(), cpus);
    std::printf("bounded by %s%.1f s per run; per-core figures divide by the worker lcores' thread CPU time "
                "(pthread_getcpuclockid)\n",
                s.frames ? (std::to_string(s.frames) + " frames or ").c_str() : "", s.seconds);
    std::printf("received UDP checksums: %s\n", s.nic_checksums ? "marked good by the \"NIC\" (RX offload), not summed"
                                                                 : "summed in software by classify");
    std::fflush(stdout);

    std::vector<run_result> results;
    bool ok = true;
    for (unsigned w = 1; w <= s.max_workers; ++w) {
        std::vector<run_result> reps;
        for (unsigned k = 0; k < s.reps; ++k) {
            reps.push_back(run(s, in, *env, db.get(), db_path, w, k));
            const run_result& r = reps.back();
            std::printf("%u worker(s), run %u: records per queue", w, k + 1);
            for (uint64_t q : r.queue_records) std::printf(" %llu", static_cast<unsigned long long>(q));
            std::printf(" per pass; in %llu, out %llu (mediators), %s %llu; AS lookups %llu, filled %llu; "
                        "%.2f M records/s/core, busy %.2f\n",
                        static_cast<unsigned long long>(r.records_in), static_cast<unsigned long long>(r.records_out),
                        s.verify ? "output decoded to" : "not decoded:", static_cast<unsigned long long>(r.records_decoded),
                        static_cast<unsigned long long>(r.stats.enrich.lookups),
                        static_cast<unsigned long long>(r.stats.enrich.filled), r.per_core() / 1e6, busy(r));
            for (const std::string& p : problems(s, r)) {
                std::printf("  PROBLEM: %s\n", p.c_str());
                ok = false;
            }
            std::fflush(stdout);
        }
        std::sort(reps.begin(), reps.end(), [](const run_result& a, const run_result& b) { return a.per_core() < b.per_core(); });
        run_result median = reps[reps.size() / 2];
        median.per_core_min = reps.front().per_core();
        median.per_core_max = reps.back().per_core();
        median.reps = s.reps;
        results.push_back(std::move(median));
    }
    print_table(results);
    const run_result& last = results.back();
    const double per_core_1 = results[0].per_core();
    const double scale = last.total() / results[0].total();
    std::printf("\nper worker core (median of %u runs): %.2f M records/s with 1 worker (target >= 5: %s), %.2f M with %u; "
                "%u workers carry %.2fx the records/s of 1 (wall time; the feeder shares the %u CPUs)\n",
                s.reps, per_core_1 / 1e6, per_core_1 >= target_per_core ? "met" : "NOT met", last.per_core() / 1e6,
                last.workers, last.workers, scale, cpus);
    std::printf("busy: the workers' CPU time over wall time x workers; below 1 they waited for the feeder (or the "
                "machine), which the per-core figure does not count\n\n");
    print_json(results, s.lcores, db_path);
    std::printf("{\"benchmark\":\"dpdk\",\"scaling_max_over_1\":%.3f,\"max_workers\":%u,\"cpus\":%u,\"exact\":%s}\n",
                scale, last.workers, cpus, ok ? "true" : "false");
    results.clear();
    env.reset();
    if (s.check && !ok) return 1;
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "dpdk_bench: %s\n", e.what());
    return 1;
}
