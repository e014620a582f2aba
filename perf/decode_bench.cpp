// Decode throughput of proto::decoder on a pcap of IPFIX traffic, single-threaded, beside
// libfixbuf decoding the same messages in the same run.
//
//   decode_bench CAPTURE.pcap [--min-time SECONDS] [--reps N] [--impl both|ours|fixbuf]
//                [--source both|cache|memory] [--make-capture PATH/TO/make_capture]
//
// With --make-capture, the capture is (re)generated first when it is missing or older than
// the generator: meson's benchmark() makes it at benchmark time, not in every build.
//
// Each measurement decodes the whole capture as many times as it takes to fill --min-time,
// every pass from a fresh decoder (templates learnt anew, sequence numbers consistent);
// only decoding is timed, not building or freeing decoder state. Measurements of all
// (decoder, payload source) pairs alternate; the median and spread of --reps are reported.
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/enrichment_fields.hpp"
#include "pass_runner.hpp"
#include "pcap_payloads.hpp"
#include "record_digest.hpp"

#ifdef IPFIX_BENCH_HAVE_FIXBUF
#include "fixbuf_peer.hpp"
#endif

namespace {

using namespace ipfix;
using perf::pass_result;
using perf::payload_source;

struct settings {
    std::string capture;
    std::string make_capture;  // generator to run when the capture is missing or stale
    double min_time_s = 1.0;
    int reps = 5;
    bool ours = true;
    bool fixbuf = true;
    bool from_cache = true;
    bool from_memory = true;
};

const char* source_name(payload_source s) { return s == payload_source::from_cache ? "cache" : "memory"; }

// Ours: per record, what enrichment reads, the way enrich_records reads it (for_each_enrichment_fields).
pass_result ours_pass(perf::datagram_set& capture, payload_source source, perf::receive_batch& batch,
                      proto::decoded_message& msg, proto::decode_counters* counters) {
    proto::decoder dec;  // fresh state, built before the clock starts
    const pass_result r = perf::run_pass(
        capture, source, batch, [&](const perf::datagram& d, std::span<uint8_t> payload, perf::record_digest& digest) {
            dec.decode(d.from, payload, d.time_ms, msg);
            proto::for_each_enrichment_fields(
                msg, [&](size_t, const proto::record_view&, const proto::enrichment_fields& v) { digest.add(v); });
        });
    if (counters) *counters = dec.counters();
    return r;
}

#ifdef IPFIX_BENCH_HAVE_FIXBUF
pass_result fixbuf_pass(perf::datagram_set& capture, payload_source source, perf::receive_batch& batch,
                        const perf::fixbuf_model& model, uint64_t* errors) {
    // Sessions are made on each exporter's first message, inside the timed loop, as the proto
    // decoder makes its stream state.
    perf::fixbuf_peer peer(model);
    const pass_result r = perf::run_pass(
        capture, source, batch, [&](const perf::datagram& d, std::span<uint8_t> payload, perf::record_digest& digest) {
            peer.decode(d.from, payload, digest);
        });
    if (errors) *errors = peer.errors();
    return r;
}
#endif

struct contestant {
    std::string decoder;
    payload_source source = payload_source::from_cache;
    std::function<pass_result()> pass;
    perf::record_digest reference;      // from the warm-up pass
    std::vector<double> ns_per_record;  // CPU time, one per measurement
    double cpu_s = 0, wall_s = 0;       // all measurements
    uint64_t passes = 0;
};

void measure(contestant& c, double min_time_s) {
    double cpu = 0, wall = 0;
    uint64_t records = 0;
    do {
        const pass_result r = c.pass();
        if (r.digest.records != c.reference.records || r.digest.sum != c.reference.sum) {
            throw std::runtime_error(c.decoder + ": a pass decoded different records than the warm-up");
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

// Binds the process to the CPU it runs on, so "per core" means one core.
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
    const std::string out_flag = "--out";
    std::vector<char*> args = {const_cast<char*>(tool.c_str()), const_cast<char*>(out_flag.c_str()),
                               const_cast<char*>(path.c_str()), nullptr};
    pid_t pid = 0;
    int status = 0;
    if (posix_spawn(&pid, tool.c_str(), nullptr, nullptr, args.data(), environ) != 0 ||
        waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("could not generate " + path + " with " + tool);
    }
}

bool parse_args(int argc, char** argv, settings& cfg) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a.size() > 2 && a.substr(0, 2) == "--") {
            if (i + 1 >= argc) return false;
            const std::string_view v = argv[++i];
            if (a == "--min-time") {
                char* end = nullptr;
                cfg.min_time_s = std::strtod(argv[i], &end);
                if (*end != '\0' || !(cfg.min_time_s >= 0)) return false;
            } else if (a == "--reps") {
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), cfg.reps);
                if (ec != std::errc{} || end != v.data() + v.size() || cfg.reps < 1) return false;
            } else if (a == "--impl") {
                cfg.ours = v == "both" || v == "ours";
                cfg.fixbuf = v == "both" || v == "fixbuf";
                if (!cfg.ours && !cfg.fixbuf) return false;
            } else if (a == "--source") {
                cfg.from_cache = v == "both" || v == "cache";
                cfg.from_memory = v == "both" || v == "memory";
                if (!cfg.from_cache && !cfg.from_memory) return false;
            } else if (a == "--make-capture") {
                cfg.make_capture = v;
            } else {
                return false;
            }
        } else if (cfg.capture.empty()) {
            cfg.capture = a;
        } else {
            return false;
        }
    }
    return !cfg.capture.empty();
}

void print_capture(const perf::datagram_set& capture, const proto::decode_counters& c) {
    size_t v6_from = 0;
    std::vector<proto::exporter_endpoint> exporters;
    for (const perf::datagram& d : capture.datagrams) {
        if (std::find(exporters.begin(), exporters.end(), d.from) != exporters.end()) continue;
        exporters.push_back(d.from);
        if (d.from.address.family == 6) ++v6_from;
    }
    std::printf("capture: %zu IPFIX messages, %.1f MB, from %zu exporters (%zu over IPv6)\n",
                capture.datagrams.size(), static_cast<double>(capture.bytes.size()) / 1e6, exporters.size(),
                v6_from);
    std::printf("         %llu records (%llu options), %llu templates learnt, %llu refreshed; "
                "%llu malformed, %llu sequence gaps\n",
                static_cast<unsigned long long>(c.records), static_cast<unsigned long long>(c.options_records),
                static_cast<unsigned long long>(c.templates_learned),
                static_cast<unsigned long long>(c.templates_refreshed),
                static_cast<unsigned long long>(c.malformed_total()),
                static_cast<unsigned long long>(c.sequence_gaps));
}

struct summary {
    std::string decoder;
    payload_source source;
    double ns = 0, lo = 0, hi = 0, wall_over_cpu = 0;
    uint64_t records = 0, passes = 0;
};

void report(const std::vector<contestant>& contestants, const settings& cfg, int cpu) {
    std::vector<summary> rows;
    for (const contestant& c : contestants) {
        const auto [lo, hi] = std::minmax_element(c.ns_per_record.begin(), c.ns_per_record.end());
        rows.push_back({c.decoder, c.source, median(c.ns_per_record), *lo, *hi, c.wall_s / c.cpu_s,
                        c.reference.records, c.passes});
    }
    std::printf("\nsingle thread%s; %d measurements of >= %.2f s of thread CPU time each\n",
                cpu >= 0 ? (", pinned to cpu " + std::to_string(cpu)).c_str() : "", cfg.reps, cfg.min_time_s);
    std::printf("payloads from cache: copied in batches of %zu as recvmmsg() leaves them (copy not timed)\n"
                "payloads from memory: decoded in place from the whole capture, cold in cache\n\n",
                perf::receive_batch::batch_size);
    std::printf("%-16s %-7s %10s %20s %16s %7s %9s\n", "decoder", "from", "ns/record", "(min .. max)",
                "Mrecords/s/core", "passes", "wall/cpu");
    for (const summary& s : rows) {
        std::printf("%-16s %-7s %10.2f  (%7.2f .. %7.2f) %16.2f %7llu %9.3f\n", s.decoder.c_str(),
                    source_name(s.source), s.ns, s.lo, s.hi, 1e3 / s.ns, static_cast<unsigned long long>(s.passes),
                    s.wall_over_cpu);
    }
    std::printf("\n");
    std::vector<std::pair<payload_source, double>> ratios;
    for (const summary& ours : rows) {
        if (ours.decoder != "ipfix-proto") continue;
        std::printf("from %-6s: ipfix-proto %.1f M records/s/core (target >= 20: %s)", source_name(ours.source),
                    1e3 / ours.ns, 1e3 / ours.ns >= 20 ? "met" : "NOT met");
        for (const summary& peer : rows) {
            if (peer.decoder == ours.decoder || peer.source != ours.source) continue;
            const double ratio = peer.ns / ours.ns;
            ratios.emplace_back(ours.source, ratio);
            std::printf("; %.2fx libfixbuf (target >= 10x: %s)", ratio, ratio >= 10 ? "met" : "NOT met");
        }
        std::printf("\n");
    }
    for (const summary& s : rows) {
        if (s.wall_over_cpu > 1.05) {
            std::printf("note: %s from %s took %.0f%% more wall time than CPU time: the machine was busy\n",
                        s.decoder.c_str(), source_name(s.source), (s.wall_over_cpu - 1) * 100);
        }
    }
    std::printf("\n");
    for (const summary& s : rows) {
        std::printf("{\"benchmark\":\"decode\",\"decoder\":\"%s\",\"payloads_from\":\"%s\",\"records_per_pass\":%llu,"
                    "\"ns_per_record\":%.3f,\"ns_per_record_min\":%.3f,\"ns_per_record_max\":%.3f,"
                    "\"records_per_s_per_core\":%.0f,\"wall_over_cpu\":%.3f}\n",
                    s.decoder.c_str(), source_name(s.source), static_cast<unsigned long long>(s.records), s.ns, s.lo,
                    s.hi, 1e9 / s.ns, s.wall_over_cpu);
    }
    for (const auto& [source, ratio] : ratios) {
        std::printf("{\"benchmark\":\"decode\",\"payloads_from\":\"%s\",\"ratio_vs_libfixbuf\":%.3f}\n",
                    source_name(source), ratio);
    }
}

}  // namespace

int main(int argc, char** argv) try {
    settings cfg;
    if (!parse_args(argc, argv, cfg)) {
        std::fprintf(stderr,
                     "usage: decode_bench CAPTURE.pcap [--min-time S] [--reps N] [--impl both|ours|fixbuf]\n"
                     "                    [--source both|cache|memory] [--make-capture PATH]\n");
        return 2;
    }
#ifndef IPFIX_BENCH_HAVE_FIXBUF
    if (!cfg.ours) {
        std::fprintf(stderr, "decode_bench: built without libfixbuf\n");
        return 2;
    }
    cfg.fixbuf = false;
#endif
    if (!cfg.make_capture.empty()) ensure_capture(cfg.make_capture, cfg.capture);
    perf::datagram_set capture = perf::load_udp_payloads(cfg.capture, 4739);
    if (capture.datagrams.empty()) throw std::runtime_error(cfg.capture + ": no UDP datagrams to port 4739");
    const int cpu = pin_to_current_cpu();

    perf::receive_batch batch;
    proto::decoded_message msg;
    std::vector<payload_source> sources;
    if (cfg.from_cache) sources.push_back(payload_source::from_cache);
    if (cfg.from_memory) sources.push_back(payload_source::from_memory);
    std::vector<contestant> contestants;
#ifdef IPFIX_BENCH_HAVE_FIXBUF
    perf::fixbuf_model model;
#endif
    for (payload_source source : sources) {
        if (cfg.ours) {
            contestants.push_back({"ipfix-proto", source,
                                   [&, source] { return ours_pass(capture, source, batch, msg, nullptr); }, {}, {}, 0,
                                   0, 0});
        }
#ifdef IPFIX_BENCH_HAVE_FIXBUF
        if (cfg.fixbuf) {
            contestants.push_back({"libfixbuf-" + perf::fixbuf_version(), source,
                                   [&, source] { return fixbuf_pass(capture, source, batch, model, nullptr); }, {},
                                   {}, 0, 0, 0});
        }
#endif
    }

    // Warm-up passes (caches, page faults, allocator) that also give the reference digest
    // every later pass, and every other decoder, must reproduce.
    for (contestant& c : contestants) c.reference = c.pass().digest;
    if (cfg.ours) {
        proto::decode_counters counters;
        ours_pass(capture, payload_source::from_memory, batch, msg, &counters);
        print_capture(capture, counters);
    }
#ifdef IPFIX_BENCH_HAVE_FIXBUF
    if (cfg.fixbuf) {
        uint64_t errors = 0;
        fixbuf_pass(capture, payload_source::from_memory, batch, model, &errors);
        if (errors) std::printf("libfixbuf reported %llu errors\n", static_cast<unsigned long long>(errors));
    }
#endif
    bool same = true;
    for (const contestant& c : contestants) {
        same = same && c.reference.records == contestants[0].reference.records &&
               c.reference.sum == contestants[0].reference.sum;
    }
    for (const contestant& c : contestants) {
        if (c.source != sources.front()) continue;
        std::printf("%-16s %llu records, digest %016llx\n", c.decoder.c_str(),
                    static_cast<unsigned long long>(c.reference.records),
                    static_cast<unsigned long long>(c.reference.sum));
    }
    if (!same) {
        std::fprintf(stderr, "decode_bench: the decoders disagree on the records: the comparison is void\n");
        return 1;
    }

    for (int rep = 0; rep < cfg.reps; ++rep) {
        for (contestant& c : contestants) measure(c, cfg.min_time_s);
    }
    report(contestants, cfg, cpu);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "decode_bench: %s\n", e.what());
    return 1;
}
