// Throughput of the daemon's data path on one core: decode + enrich (AS lookups in a large
// compiled table) + mediate (re-encoded output for a collector), exactly as pipeline::flow_worker
// runs it, with no I/O; and in the same run decode alone, the baseline.
//
//   enrich_mediate_bench CAPTURE.pcap [--make-capture PATH] [--asdb PATH --workdir DIR | --db FILE]
//                        [--prefixes N] [--min-time S] [--reps N] [--names] [--collectors N] [--tally]
//
// The capture is perf/make_capture's (40,000 IPFIX messages, ~716k records, made on first use
// with --make-capture). The AS database is --db, else one of --prefixes random prefixes (IPv4
// /8../24 weighted like a BGP table, IPv6 /19../48) that ipfix-asdb builds in --workdir at
// benchmark time and keeps for the next run. Configuration: the shipped defaults (fill, bad AS
// values, RFC 7119 fields) and --collectors collectors (IPFIX), AS names and countries with
// --names.
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/enrich/as_database.hpp"
#include "ipfix/enrich/table_loader.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/enrichment_fields.hpp"
#include "pass_runner.hpp"
#include "pcap_payloads.hpp"
#include "record_digest.hpp"

namespace {

using namespace ipfix;
using perf::pass_result;
using perf::payload_source;

struct settings {
    std::string capture;
    std::string make_capture;
    std::string asdb;
    std::string workdir = ".";
    std::string db;
    size_t prefixes = 600'000;
    double min_time_s = 1.0;
    int reps = 5;
    bool names = false;
    int collectors = 1;
    bool tally = false;  // also the full pipeline with a traffic_tally (the stats port's counting)
};

// ---- the AS database ----------------------------------------------------------------------

// Same prefixes for the same count: a splitmix64 stream.
struct splitmix {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
};

// IPv4 prefix lengths roughly as in a full BGP table: most /24, few short ones.
unsigned v4_length(splitmix& r) {
    const uint32_t p = r.below(100);
    if (p < 55) return 24;
    if (p < 75) return 22 + r.below(2);
    if (p < 95) return 16 + r.below(6);
    return 8 + r.below(8);
}

unsigned v6_length(splitmix& r) {
    const uint32_t p = r.below(100);
    if (p < 45) return 48;
    if (p < 90) return 32 + r.below(16);
    return 19 + r.below(13);
}

void spawn_and_wait(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int status = 0;
    if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0 || waitpid(pid, &status, 0) != pid ||
        !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("failed: " + argv[0]);
    }
}

// Builds workdir/enrich_mediate_bench_<N>.mmdb with ipfix-asdb unless it is there already.
std::string ensure_database(const settings& s) {
    const std::string db = s.workdir + "/enrich_mediate_bench_" + std::to_string(s.prefixes) + ".mmdb";
    if (std::filesystem::exists(db)) return db;
    if (s.asdb.empty()) throw std::runtime_error("no --db and no --asdb to build " + db);
    const std::string csv = db + ".csv";
    {
        std::ofstream out(csv);
        splitmix r{0xA5DB'2024};
        char line[96];
        for (size_t i = 0; i < s.prefixes; ++i) {
            const uint32_t asn = r.below(10) == 0 ? 196608 + r.below(200000) : 1 + r.below(64000);
            int n = 0;
            if (i % 4 != 3) {
                const unsigned len = v4_length(r);
                const uint32_t a = (1u + r.below(223)) << 24 | static_cast<uint32_t>(r.next() & 0xFFFFFF);
                const uint32_t net = a & ~((1u << (32 - len)) - 1);
                n = std::snprintf(line, sizeof line, "%u.%u.%u.%u/%u,%u,AS%u Networks\n", net >> 24, (net >> 16) & 255,
                                  (net >> 8) & 255, net & 255, len, asn, asn);
            } else {
                const unsigned len = v6_length(r);
                const uint64_t hi = (uint64_t{0x2001u + r.below(0x0E00)} << 48 | (r.next() >> 16)) &
                                    ~((uint64_t{1} << (64 - len)) - 1);
                n = std::snprintf(line, sizeof line, "%x:%x:%x:%x::/%u,%u,AS%u Networks\n",
                                  static_cast<unsigned>(hi >> 48), static_cast<unsigned>((hi >> 32) & 0xFFFF),
                                  static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF), len,
                                  asn, asn);
            }
            out.write(line, n);
        }
    }
    std::printf("building %s with ipfix-asdb (%zu random prefixes; kept for the next run)\n", db.c_str(), s.prefixes);
    std::fflush(stdout);
    spawn_and_wait({s.asdb, "build", db + ".tmp", csv});
    std::filesystem::rename(db + ".tmp", db);
    std::filesystem::remove(csv);
    return db;
}

// ---- the passes ---------------------------------------------------------------------------

// `enrich` false: the same collectors, enrichment off (as_extraction: false), to tell the cost
// of the lookups from the cost of mediation.
config::daemon_config make_config(const settings& s, const std::string& db, bool enrich = true) {
    std::string yaml = "enrichment:\n  asn_database: " + db + "\n  country_database: \"\"\n";
    if (!enrich) yaml += "  as_extraction: false\n";
    if (s.names) yaml += "  names:\n    enterprise_number: 32473\n";
    yaml += "forwarding:\n  collectors:\n";
    for (int i = 0; i < s.collectors; ++i) {
        yaml += "    - host: 127.0.0.1\n      port: " + std::to_string(2056 + i) + "\n      version: ipfix\n";
    }
    return config::parse(yaml, "enrich_mediate_bench", false);
}

// Folds what the pipeline emits, so nothing it writes can be optimised away.
struct folding_sink : pipeline::output_sink {
    perf::record_digest* digest = nullptr;
    uint64_t datagrams = 0, bytes = 0;
    void emit(size_t collector, std::span<const uint8_t> d) override {
        ++datagrams;
        bytes += d.size();
        uint64_t tail = 0;
        std::memcpy(&tail, d.data() + d.size() - 8, 8);  // the end of the last record written
        digest->sum += (tail + collector) * 0x9E3779B97F4A7C15ULL + d.size();
    }
};

struct pipeline_stats {
    proto::decode_counters decode;
    pipeline::enrich_counters enrich;
    std::vector<mediate::mediate_counters> mediate;
};

pass_result pipeline_pass(perf::datagram_set& capture, payload_source source, perf::receive_batch& batch,
                          const config::daemon_config& cfg, const enrich::as_database& db, pipeline_stats* stats,
                          pipeline::traffic_tally* tally = nullptr) {
    pipeline::flow_worker worker(cfg, &db);  // fresh state, built before the clock starts
    worker.tally_traffic(tally);
    folding_sink sink;
    pass_result r = perf::run_pass(
        capture, source, batch, [&](const perf::datagram& d, std::span<uint8_t> payload, perf::record_digest& digest) {
            sink.digest = &digest;
            worker.process(d.from, payload, d.time_ms, sink);
        });
    r.digest.records = worker.decode_counters().records;
    if (stats) {
        stats->decode = worker.decode_counters();
        stats->enrich = worker.enrichment_counters();
        for (size_t i = 0; i < worker.collector_count(); ++i) stats->mediate.push_back(worker.mediate_counters(i));
    }
    return r;
}

// Decode alone, handing over what enrichment reads (as decode_bench does).
pass_result decode_pass(perf::datagram_set& capture, payload_source source, perf::receive_batch& batch,
                        proto::decoded_message& msg) {
    proto::decoder dec;
    return perf::run_pass(
        capture, source, batch, [&](const perf::datagram& d, std::span<uint8_t> payload, perf::record_digest& digest) {
            dec.decode(d.from, payload, d.time_ms, msg);
            proto::for_each_enrichment_fields(
                msg, [&](size_t, const proto::record_view&, const proto::enrichment_fields& v) { digest.add(v); });
        });
}

// The output of one pass, decoded by a fresh decoder as a collector would: every input record
// must come out, with nothing malformed. Untimed; guards against measuring a broken pipeline.
void verify_output(perf::datagram_set& capture, const config::daemon_config& cfg, const enrich::as_database& db,
                   uint64_t input_records) {
    struct collecting_sink : pipeline::output_sink {
        proto::decoder dec;
        proto::decoded_message msg;
        uint64_t records = 0, malformed = 0;
        void emit(size_t collector, std::span<const uint8_t> d) override {
            if (collector != 0) return;
            const proto::exporter_endpoint us{*proto::ip_address::parse("127.0.0.1"), 2055};
            dec.decode(us, d, 0, msg);
            records += msg.records.size();
            malformed += msg.malformed;
        }
    } sink;
    pipeline::flow_worker worker(cfg, &db);
    for (const perf::datagram& d : capture.datagrams) worker.process(d.from, capture.payload(d), d.time_ms, sink);
    if (sink.records != input_records || sink.malformed != 0) {
        throw std::runtime_error("pipeline output decodes to " + std::to_string(sink.records) + " records (" +
                                 std::to_string(sink.malformed) + " malformed) for " + std::to_string(input_records));
    }
}

// ---- measuring and reporting --------------------------------------------------------------

struct contestant {
    std::string name;
    std::function<pass_result()> pass;
    perf::record_digest reference;
    std::vector<double> ns_per_record;
    double cpu_s = 0, wall_s = 0;
    uint64_t passes = 0;
};

void measure(contestant& c, double min_time_s) {
    double cpu = 0, wall = 0;
    uint64_t records = 0;
    do {
        const pass_result r = c.pass();
        if (r.digest.records != c.reference.records || r.digest.sum != c.reference.sum) {
            throw std::runtime_error(c.name + ": a pass produced different output than the warm-up");
        }
        cpu += r.cpu_s;
        wall += r.wall_s;
        records += r.digest.records;
        ++c.passes;
    } while (cpu < min_time_s);
    c.cpu_s += cpu;
    c.wall_s += wall;
    c.ns_per_record.push_back(records ? cpu * 1e9 / static_cast<double>(records) : 0);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int pin_to_current_cpu() {
    const int cpu = sched_getcpu();
    if (cpu < 0) return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

void ensure_capture(const std::string& tool, const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(path, ec) && fs::last_write_time(path, ec) >= fs::last_write_time(tool, ec) && !ec) return;
    std::printf("generating %s\n", path.c_str());
    std::fflush(stdout);
    spawn_and_wait({tool, "--out", path});
}

bool parse_args(int argc, char** argv, settings& s) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--names") {
            s.names = true;
            continue;
        }
        if (a == "--tally") {
            s.tally = true;
            continue;
        }
        if (a.size() > 2 && a.substr(0, 2) == "--") {
            if (i + 1 >= argc) return false;
            const std::string_view v = argv[++i];
            auto number = [&](auto& out) {
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
                return ec == std::errc{} && end == v.data() + v.size();
            };
            if (a == "--min-time") {
                char* end = nullptr;
                s.min_time_s = std::strtod(argv[i], &end);
                if (*end != '\0' || !(s.min_time_s >= 0)) return false;
            } else if (a == "--reps") {
                if (!number(s.reps) || s.reps < 1) return false;
            } else if (a == "--prefixes") {
                if (!number(s.prefixes) || s.prefixes < 1) return false;
            } else if (a == "--collectors") {
                if (!number(s.collectors) || s.collectors < 1 || s.collectors > 8) return false;
            } else if (a == "--make-capture") {
                s.make_capture = v;
            } else if (a == "--asdb") {
                s.asdb = v;
            } else if (a == "--workdir") {
                s.workdir = v;
            } else if (a == "--db") {
                s.db = v;
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

void report(const std::vector<contestant>& cs, const settings& s, int cpu) {
    std::printf("\nsingle thread%s; %d measurements of >= %.2f s of thread CPU time each; payloads copied in "
                "batches of %zu as recvmmsg() leaves them (copy not timed)\n\n",
                cpu >= 0 ? (", pinned to cpu " + std::to_string(cpu)).c_str() : "", s.reps, s.min_time_s,
                perf::receive_batch::batch_size);
    std::printf("%-26s %10s %20s %16s %7s %9s\n", "path", "ns/record", "(min .. max)", "Mrecords/s/core", "passes",
                "wall/cpu");
    std::vector<double> ns;
    for (const contestant& c : cs) {
        const auto [lo, hi] = std::minmax_element(c.ns_per_record.begin(), c.ns_per_record.end());
        ns.push_back(median(c.ns_per_record));
        std::printf("%-26s %10.2f  (%7.2f .. %7.2f) %16.2f %7llu %9.3f\n", c.name.c_str(), ns.back(), *lo, *hi,
                    1e3 / ns.back(), static_cast<unsigned long long>(c.passes), c.wall_s / c.cpu_s);
    }
    const double full = 1e3 / ns[0], decode = 1e3 / ns[1];
    std::printf("\ndecode + enrich + mediate: %.2f M records/s/core (target >= 8: %s); decode alone %.2f M; "
                "the full path runs at %.2f of decode's rate\n",
                full, full >= 8 ? "met" : "NOT met", decode, full / decode);
    std::printf("per record: decode %.1f ns, mediate %.1f ns, enrich (AS lookups and added AS fields) %.1f ns\n",
                ns[1], ns[2] - ns[1], ns[0] - ns[2]);
    for (const contestant& c : cs) {
        if (c.wall_s / c.cpu_s > 1.05) {
            std::printf("note: %s took %.0f%% more wall time than CPU time: the machine was busy\n", c.name.c_str(),
                        (c.wall_s / c.cpu_s - 1) * 100);
        }
    }
    std::printf("\n");
    const char* keys[] = {"decode_enrich_mediate", "decode_only", "decode_mediate_no_as", "tally_exact", "tally_1_in_256"};
    for (size_t i = 0; i < cs.size(); ++i) {
        const auto [lo, hi] = std::minmax_element(cs[i].ns_per_record.begin(), cs[i].ns_per_record.end());
        std::printf("{\"benchmark\":\"enrich_mediate\",\"path\":\"%s\",\"records_per_pass\":%llu,\"ns_per_record\":%.3f,"
                    "\"ns_per_record_min\":%.3f,\"ns_per_record_max\":%.3f,\"records_per_s_per_core\":%.0f,"
                    "\"wall_over_cpu\":%.3f}\n",
                    keys[i], static_cast<unsigned long long>(cs[i].reference.records), ns[i], *lo, *hi, 1e9 / ns[i],
                    cs[i].wall_s / cs[i].cpu_s);
    }
    std::printf("{\"benchmark\":\"enrich_mediate\",\"ratio_full_vs_decode\":%.3f,\"names\":%s,\"collectors\":%d}\n",
                full / decode, s.names ? "true" : "false", s.collectors);
}

}  // namespace

int main(int argc, char** argv) try {
    settings s;
    if (!parse_args(argc, argv, s)) {
        std::fprintf(stderr,
                     "usage: enrich_mediate_bench CAPTURE.pcap [--make-capture PATH] [--asdb PATH --workdir DIR | --db FILE]\n"
                     "                            [--prefixes N] [--min-time S] [--reps N] [--names] [--collectors N] [--tally]\n");
        return 2;
    }
    if (!s.make_capture.empty()) ensure_capture(s.make_capture, s.capture);
    perf::datagram_set capture = perf::load_udp_payloads(s.capture, 4739);
    if (capture.datagrams.empty()) throw std::runtime_error(s.capture + ": no UDP datagrams to port 4739");
    const std::string db_path = s.db.empty() ? ensure_database(s) : s.db;
    const auto load_start = std::chrono::steady_clock::now();
    enrich::as_database db(enrich::load_table({db_path}));
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    const enrich::table_stats& ts = db.snapshot()->stats();
    std::printf("database: %s: IPv4 %zu segments, IPv6 %zu segments, %zu attribute rows, %.1f MiB compiled in %.1f s\n",
                db_path.c_str(), ts.v4_segments, ts.v6_segments, ts.attributes,
                static_cast<double>(ts.memory_bytes) / (1 << 20), load_s);
    const config::daemon_config cfg = make_config(s, db_path);
    const config::daemon_config cfg_no_enrich = make_config(s, db_path, false);
    const int cpu = pin_to_current_cpu();

    perf::receive_batch batch;
    proto::decoded_message msg;
    std::vector<contestant> cs;
    cs.resize(3);
    cs[0].name = "decode+enrich+mediate";
    cs[0].pass = [&] { return pipeline_pass(capture, payload_source::from_cache, batch, cfg, db, nullptr); };
    cs[1].name = "decode only";
    cs[1].pass = [&] { return decode_pass(capture, payload_source::from_cache, batch, msg); };
    cs[2].name = "decode+mediate (no AS)";
    cs[2].pass = [&] { return pipeline_pass(capture, payload_source::from_cache, batch, cfg_no_enrich, db, nullptr); };

    // The stats port's tally with every record counted, and with 1 in 256 past no exact budget
    // (what a worker does beyond 20,000 records in a second).
    std::unique_ptr<pipeline::traffic_tally> tally;
    const pipeline::tally_limits exact{.exact_per_second = 0, .sample_every = 1};
    const pipeline::tally_limits sampled{.exact_per_second = 0, .sample_every = 256};
    for (const auto* limits : {&exact, &sampled}) {
        if (!s.tally) break;
        cs.emplace_back();
        cs.back().name = limits->sample_every == 1 ? "d+e+m + tally (exact)" : "d+e+m + tally (1 in 256)";
        cs.back().pass = [&, limits] {
            tally = std::make_unique<pipeline::traffic_tally>(*limits);  // empty, as a fresh worker's
            return pipeline_pass(capture, payload_source::from_cache, batch, cfg, db, nullptr, tally.get());
        };
    }
    for (contestant& c : cs) c.reference = c.pass().digest;  // warm-up, and the output every pass must repeat
    if (cs[0].reference.records != cs[1].reference.records) throw std::runtime_error("record counts differ");
    pipeline_stats st;
    pipeline_pass(capture, payload_source::from_memory, batch, cfg, db, &st);
    verify_output(capture, cfg, db, st.decode.records);
    std::printf("capture: %zu IPFIX messages, %.1f MB, %llu records (%llu options)\n", capture.datagrams.size(),
                static_cast<double>(capture.bytes.size()) / 1e6, static_cast<unsigned long long>(st.decode.records),
                static_cast<unsigned long long>(st.decode.options_records));
    std::printf("enrich:  %llu lookups, %llu not found, %llu filled, %llu kept, %llu records without addresses\n",
                static_cast<unsigned long long>(st.enrich.lookups), static_cast<unsigned long long>(st.enrich.not_found),
                static_cast<unsigned long long>(st.enrich.filled), static_cast<unsigned long long>(st.enrich.kept),
                static_cast<unsigned long long>(st.enrich.no_address));
    for (size_t i = 0; i < st.mediate.size(); ++i) {
        const mediate::mediate_counters& m = st.mediate[i];
        std::printf("mediate: collector %zu: %llu datagrams, %.1f MB, %llu records, %llu templates; output decodes "
                    "to every input record\n",
                    i, static_cast<unsigned long long>(m.messages_out), static_cast<double>(m.bytes_out) / 1e6,
                    static_cast<unsigned long long>(m.records_out), static_cast<unsigned long long>(m.templates_sent));
    }

    for (int rep = 0; rep < s.reps; ++rep) {
        for (contestant& c : cs) measure(c, s.min_time_s);
    }
    report(cs, s, cpu);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "enrich_mediate_bench: %s\n", e.what());
    return 1;
}
