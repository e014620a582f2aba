// What record retention costs the data path: the same flow_worker (decode + enrich + mediate,
// no I/O) over the same capture, in the same run, with
//   off        the record tap not listening (the daemon without retention or tail clients),
//   tap        the tap listening, a second thread draining it into summaries and dropping them,
//   retention  the tap listening, the second thread packing each datagram's records into blocks and writing
//              them to a retention_store (RocksDB, in a temp dir), as the control thread does;
//   busy       as spin, but eight independent chains of arithmetic that keep the core's ALUs full
//              (spin's one multiply chain waits on its latency): when the two CPUs are hyperthreads
//              of one physical core, as a VM may not say, this is what any busy neighbour costs;
//   spin       the tap off, a second thread spinning on registers alone: what merely having the
//              other core busy costs the worker on this machine (shared caches, clocks, the
//              hypervisor), the floor under any work a second thread does;
//   alone      the retention side by itself: one pass into a tap large enough to hold it, then the
//              drain thread stores it all with the worker idle: its CPU per record and RocksDB's
//              without contention (steadier than the others on a busy machine).
// records/s is over the worker thread's CPU time (what a worker core can carry); the second
// thread's CPU per record and the tap's drops (records the drain did not keep up with) are
// shown, so a fast figure bought with drops is visible.
//
//   retention_bench CAPTURE.pcap --db AS.mmdb [--reps N] [--passes N] [--drain-ms MS] [--tap-kib KIB] [--dir DIR]
//                   [--modes off,spin,busy,tap,retention,alone]   (default: off,spin,tap,retention)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/enrich/as_database.hpp"
#include "ipfix/enrich/table_loader.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix/pipeline/record_tap.hpp"
#include "ipfix/store/retention_store.hpp"
#include "pass_runner.hpp"
#include "pcap_payloads.hpp"

namespace {

using namespace ipfix;

struct settings {
    std::string capture;
    std::string db;
    std::string dir;
    int reps = 3;
    int passes = 10;     // over the capture per run: about a second of work per run
    int drain_ms = 100;  // the daemon's control thread drains every 100 ms (or when rung)
    int tap_kib = 16 << 10;  // the daemon's tap
    bool modes[6] = {true, true, true, true, false, false};
};

enum class mode { off, tap, retention, spin, alone, busy };
constexpr const char* mode_names[] = {"off", "tap", "retention", "spin", "alone", "busy"};

struct sink : pipeline::output_sink {
    uint64_t bytes = 0;
    void emit(size_t, std::span<const uint8_t> d) override { bytes += d.size(); }
};

struct run_result {
    uint64_t records = 0;
    double worker_cpu_s = 0;
    double drain_cpu_s = 0;
    uint64_t drained = 0;
    uint64_t drops = 0;
    uint64_t rings = 0;  // times the tap's bell woke the drain thread
    uint64_t stored_bytes = 0;
    uint64_t disk_bytes = 0;  // the SST files once the store is closed (after RocksDB's compression)
    double store_cpu_s = 0;   // RocksDB's own threads (flushes, compactions), up to the close
};

double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

uint64_t wall_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// The control thread's part, on its own thread, as the daemon wires it: a record_feed drains
// the tap when it passes half full (its bell) or every drain_ms and hands each datagram to the
// store (retention) or the summaries to a consumer that drops them (tap: what a tail client
// costs before its filter), then ticks.
class drain_thread {
public:
    drain_thread(pipeline::record_tap& tap, pipeline::tap_bell& bell, store::retention_store* store, int drain_ms)
        : tap_(tap), bell_(bell), store_(store), drain_ms_(drain_ms) {
        if (store_) {
            feed_.add({[] { return true; }, {}, [this](const pipeline::tapped_datagram& d) { store_->add(d); }});
        } else {
            feed_.add({[] { return true; }, [](std::span<const pipeline::flow_summary>) {}});
        }
        thread_ = std::thread([this] { run(); });
    }
    void finish() {
        stop_ = true;
        thread_.join();
    }
    uint64_t drained() const { return drained_; }
    double cpu_s() const { return cpu_s_; }

private:
    void run() {
        const double cpu0 = perf::thread_cpu_seconds();
        std::ostringstream log;
        pipeline::record_tap* const taps[] = {&tap_};
        while (!stop_.load()) {
            bell_.wait(drain_ms_);
            drained_ += feed_.poll(taps);
            if (store_) store_->tick(wall_ms(), log);
        }
        drained_ += feed_.poll(taps);
        if (store_) store_->flush(log);
        cpu_s_ = perf::thread_cpu_seconds() - cpu0;
        if (!log.str().empty()) std::fprintf(stderr, "%s", log.str().c_str());
    }

    pipeline::record_tap& tap_;
    pipeline::tap_bell& bell_;
    store::retention_store* store_;
    int drain_ms_;
    pipeline::record_feed feed_;
    std::atomic<bool> stop_{false};
    uint64_t drained_ = 0;
    double cpu_s_ = 0;
    std::thread thread_;
};

// The spin and busy modes' second thread: register arithmetic until stopped, no memory traffic;
// `wide`: eight independent chains instead of one.
class spin_thread {
public:
    explicit spin_thread(bool wide) : wide_(wide), thread_([this] { run(); }) {}
    void finish() {
        stop_ = true;
        thread_.join();
    }

private:
    void run() {
        uint64_t x = 1;
        uint64_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        while (!stop_.load(std::memory_order_relaxed)) {
            if (!wide_) {
                for (int i = 0; i < 4096; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
                continue;
            }
            for (int i = 0; i < 512; ++i) {
                for (uint64_t& v : w) v = (v ^ (v << 13)) + (v >> 7) + 0x9e3779b97f4a7c15ull;
            }
        }
        for (uint64_t v : w) x ^= v;
        sink_ = x;
    }
    const bool wide_;
    std::atomic<bool> stop_{false};
    volatile uint64_t sink_ = 0;
    std::thread thread_;
};

run_result run(mode m, perf::datagram_set& capture, const config::daemon_config& cfg, const enrich::as_database& db,
               const settings& s, const std::string& store_dir) {
    const double process0 = process_cpu_seconds(), main0 = perf::thread_cpu_seconds();
    pipeline::flow_worker worker(cfg, &db);
    // The daemon's size; alone: a pass (~115 bytes a record on the bench capture) with room.
    pipeline::record_tap tap(m == mode::alone ? size_t{1} << 27 : size_t(s.tap_kib) << 10);
    pipeline::tap_bell bell;
    tap.ring_at_half(&bell);
    worker.tap_records(&tap);
    std::unique_ptr<store::retention_store> store;
    if (m == mode::retention || m == mode::alone) store = store::retention_store::open(store_dir, {});
    std::unique_ptr<drain_thread> drain;
    std::unique_ptr<spin_thread> spin;
    if (m == mode::spin || m == mode::busy) spin = std::make_unique<spin_thread>(m == mode::busy);
    if (m == mode::tap || m == mode::retention) {
        tap.listen(true);
        drain = std::make_unique<drain_thread>(tap, bell, store.get(), s.drain_ms);
    }
    tap.listen(m == mode::alone || tap.listening());
    sink out;
    perf::receive_batch batch;
    run_result r;
    // The daemon's clock: wall time (the records' seen times), read once per 64 datagrams.
    uint64_t now_ms = wall_ms();
    uint32_t n = 0;
    for (int pass = 0; pass < (m == mode::alone ? 1 : s.passes); ++pass) {
        const perf::pass_result p = perf::run_pass(
            capture, perf::payload_source::from_cache, batch,
            [&](const perf::datagram& d, std::span<uint8_t> payload, perf::record_digest&) {
                if ((++n & 63) == 0) now_ms = wall_ms();
                worker.process(d.from, payload, now_ms, out);
                if ((n & 31) == 0) worker.flush(out);  // the end of the daemon's burst
            });
        r.worker_cpu_s += p.cpu_s;
    }
    worker.flush(out);
    r.records = worker.decode_counters().records;
    if (spin) spin->finish();
    if (m == mode::alone) drain = std::make_unique<drain_thread>(tap, bell, store.get(), s.drain_ms);
    if (drain) {
        drain->finish();
        r.drained = drain->drained();
        r.drain_cpu_s = drain->cpu_s();
    }
    r.drops = tap.drops();
    r.rings = tap.rings();
    if (store) {
        r.stored_bytes = store->counters().bytes_held;
        store.reset();  // flushes the memtables
        // What is left once this thread's and the drain thread's CPU are taken out.
        r.store_cpu_s = process_cpu_seconds() - process0 - (perf::thread_cpu_seconds() - main0) - r.drain_cpu_s;
        namespace fs = std::filesystem;
        for (const auto& e : fs::directory_iterator(store_dir)) {
            if (e.path().extension() == ".sst") r.disk_bytes += e.file_size();
        }
    }
    return r;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;  // a mode left out
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

bool parse_modes(std::string_view list, bool (&on)[6]) {
    std::fill(std::begin(on), std::end(on), false);
    while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view name = list.substr(0, comma);
        const auto it = std::find(std::begin(mode_names), std::end(mode_names), name);
        if (it == std::end(mode_names)) return false;
        on[it - std::begin(mode_names)] = true;
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return true;
}

bool parse_args(int argc, char** argv, settings& s) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a.starts_with("--")) {
            if (i + 1 >= argc) return false;
            const std::string_view v = argv[++i];
            auto number = [&](int& out) {
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
                return ec == std::errc{} && end == v.data() + v.size() && out >= 1;
            };
            if (a == "--reps") {
                if (!number(s.reps)) return false;
            } else if (a == "--passes") {
                if (!number(s.passes)) return false;
            } else if (a == "--drain-ms") {
                if (!number(s.drain_ms)) return false;
            } else if (a == "--tap-kib") {
                if (!number(s.tap_kib)) return false;
            } else if (a == "--db") {
                s.db = v;
            } else if (a == "--dir") {
                s.dir = v;
            } else if (a == "--modes") {
                if (!parse_modes(v, s.modes)) return false;
            } else {
                return false;
            }
        } else if (s.capture.empty()) {
            s.capture = a;
        } else {
            return false;
        }
    }
    return !s.capture.empty() && !s.db.empty();
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    if (!parse_args(argc, argv, s)) {
        std::fprintf(stderr, "usage: retention_bench CAPTURE.pcap --db AS.mmdb [--reps N] [--passes N] [--drain-ms MS] [--tap-kib KIB] [--dir DIR]"
                             " [--modes off,spin,busy,tap,retention,alone]\n");
        return 2;
    }
    try {
        perf::datagram_set capture = perf::load_udp_payloads(s.capture, 0);
        const config::daemon_config cfg = config::parse(
            "enrichment:\n  asn_database: " + s.db +
                "\n  country_database: \"\"\nforwarding:\n  collectors:\n    - host: 127.0.0.1\n      port: 2056\n"
                "      version: ipfix\n",
            "retention_bench", false);
        const enrich::as_database db(enrich::load_table({s.db}));
        namespace fs = std::filesystem;
        const fs::path base = s.dir.empty() ? fs::temp_directory_path() : fs::path(s.dir);
        const fs::path dir = base / ("retention_bench." + std::to_string(::getpid()));
        std::printf("retention_bench: %zu datagrams x %d passes, %d reps, a %d KiB tap drained at half full or every %d ms,"
                    " store in %s\n",
                    capture.datagrams.size(), s.passes, s.reps, s.tap_kib, s.drain_ms, dir.c_str());
        std::vector<double> rate[6], drain_ns[6], store_ns;
        uint64_t drops[6] = {};
        for (int rep = 0; rep < s.reps; ++rep) {
            for (mode m : {mode::off, mode::spin, mode::busy, mode::tap, mode::retention, mode::alone}) {
                if (!s.modes[static_cast<size_t>(m)]) continue;
                fs::remove_all(dir);
                const run_result r = run(m, capture, cfg, db, s, (dir / "retention").string());
                const auto i = static_cast<size_t>(m);
                rate[i].push_back(static_cast<double>(r.records) / r.worker_cpu_s);
                if (r.drained) drain_ns[i].push_back(r.drain_cpu_s * 1e9 / static_cast<double>(r.drained));
                drops[i] += r.drops;
                std::printf("  rep %d %-9s %9.0f records/s (worker CPU %.3f s), drained %llu, dropped %llu", rep,
                            mode_names[i], rate[i].back(), r.worker_cpu_s, static_cast<unsigned long long>(r.drained),
                            static_cast<unsigned long long>(r.drops));
                if (r.drained) {
                    std::printf(", woken %llu times at half full, drain thread %.0f ns/record",
                                static_cast<unsigned long long>(r.rings), drain_ns[i].back());
                }
                if (m == mode::retention || m == mode::alone) {
                    const double kept = static_cast<double>(std::max<uint64_t>(1, r.drained));
                    std::printf(", stored %.1f bytes/record (%.1f on disk), RocksDB threads %.0f ns/record",
                                static_cast<double>(r.stored_bytes) / kept, static_cast<double>(r.disk_bytes) / kept,
                                r.store_cpu_s * 1e9 / kept);
                    if (m == mode::retention) store_ns.push_back(r.store_cpu_s * 1e9 / kept);
                }
                std::printf("\n");
                std::fflush(stdout);
            }
        }
        fs::remove_all(dir);
        const double off = median(rate[0]), tap = median(rate[1]), ret = median(rate[2]), spun = median(rate[3]);
        std::printf("median records/s per worker core: off %.0f, tap %.0f (%.1f%%), retention %.0f (%.1f%%)\n", off, tap,
                    100.0 * (tap / off - 1), ret, 100.0 * (ret / off - 1));
        std::printf("retention/off = %.3f (target > 0.90); drain thread: tap %.0f ns/record, retention %.0f ns/record"
                    " + RocksDB's threads %.0f;"
                    " tap drops: tap %llu, retention %llu\n",
                    ret / off, drain_ns[1].empty() ? 0.0 : median(drain_ns[1]),
                    drain_ns[2].empty() ? 0.0 : median(drain_ns[2]), median(store_ns),
                    static_cast<unsigned long long>(drops[1]),
                    static_cast<unsigned long long>(drops[2]));
        std::printf("spin/off = %.3f: the cost of a busy second core alone; retention/spin = %.3f\n", spun / off,
                    ret / spun);
        // Each rep runs the modes back to back: on a machine whose speed drifts over a run, the
        // ratio within a rep is steadier than the ratio of the medians.
        if (!rate[0].empty() && !rate[2].empty()) {
            std::vector<double> per_rep;
            for (size_t i = 0; i < rate[0].size(); ++i) per_rep.push_back(rate[2][i] / rate[0][i]);
            const auto [lo, hi] = std::minmax_element(per_rep.begin(), per_rep.end());
            std::printf("retention/off within each rep: median %.3f (%.3f .. %.3f)\n", median(per_rep), *lo, *hi);
        }
        if (!rate[5].empty()) {
            std::printf("busy/off = %.3f: the cost of a second core keeping its ALUs busy; retention/busy = %.3f\n",
                        median(rate[5]) / off, ret / median(rate[5]));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "retention_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
