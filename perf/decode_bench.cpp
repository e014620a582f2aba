// Decode throughput of proto::decoder on a pcap of IPFIX traffic, single-threaded, beside
// libfixbuf decoding the same messages in the same run.
//
//   decode_bench CAPTURE.pcap [--min-time SECONDS] [--reps N] [--impl both|ours|fixbuf]
//                [--make-capture PATH/TO/make_capture]
//
// With --make-capture, the capture is (re)generated first when it is missing or older than
// the generator: meson's benchmark() makes it at benchmark time, not in every build.
//
// Each measurement decodes the whole capture as many times as it takes to fill --min-time,
// every pass from a fresh decoder (templates learnt anew, sequence numbers consistent);
// only decoding is timed, not building or freeing decoder state. Measurements of the two
// decoders alternate, and the median and spread of --reps of them are reported.
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/proto/decoder.hpp"
#include "pcap_payloads.hpp"
#include "record_digest.hpp"

#ifdef IPFIX_BENCH_HAVE_FIXBUF
#include "fixbuf_peer.hpp"
#endif

namespace {

using namespace ipfix;
using clock_type = std::chrono::steady_clock;

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Times a pass both ways: the figures use the thread's CPU time, which other processes on a
// shared machine do not inflate; wall time beside it shows how much they interfered.
class stopwatch {
public:
    stopwatch() : wall_(clock_type::now()), cpu_(thread_cpu_seconds()) {}
    void stop(double& wall_s, double& cpu_s) const {
        cpu_s = thread_cpu_seconds() - cpu_;
        wall_s = std::chrono::duration<double>(clock_type::now() - wall_).count();
    }

private:
    clock_type::time_point wall_;
    double cpu_;
};

struct settings {
    std::string capture;
    std::string make_capture;  // generator to run when the capture is missing or stale
    double min_time_s = 1.0;
    int reps = 5;
    bool ours = true;
    bool fixbuf = true;
};

struct pass_result {
    double cpu_s = 0;
    double wall_s = 0;
    perf::record_digest digest;
};

// One contestant: runs one timed pass over the capture from fresh decoder state.
using pass_fn = std::function<pass_result(perf::datagram_set&)>;

pass_result ours_pass(perf::datagram_set& capture, proto::decoded_message& msg, proto::decode_counters* counters) {
    proto::decoder dec;  // fresh state: built before the clock starts
    pass_result r;
    const stopwatch watch;
    for (const perf::datagram& d : capture.datagrams) {
        dec.decode(d.from, capture.payload(d), d.time_ms, msg);
        for (const proto::record_view& rec : msg.records) {
            const proto::ip_address src = rec.source_address();
            const proto::ip_address dst = rec.destination_address();
            r.digest.add(src.bytes.data(), src.size(), dst.bytes.data(), dst.size(), rec.source_as().value_or(0),
                         rec.destination_as().value_or(0));
        }
    }
    watch.stop(r.wall_s, r.cpu_s);
    perf::do_not_optimize(r.digest);
    if (counters) *counters = dec.counters();
    return r;
}

#ifdef IPFIX_BENCH_HAVE_FIXBUF
pass_result fixbuf_pass(perf::datagram_set& capture, const perf::fixbuf_model& model, uint64_t* errors) {
    pass_result r;
    // Sessions are created on each exporter's first message, inside the timed loop, as the
    // proto decoder creates its stream state.
    perf::fixbuf_peer peer(model);
    const stopwatch watch;
    for (const perf::datagram& d : capture.datagrams) peer.decode(d.from, capture.payload(d), r.digest);
    watch.stop(r.wall_s, r.cpu_s);
    perf::do_not_optimize(r.digest);
    if (errors) *errors = peer.errors();
    return r;
}
#endif

struct contestant {
    std::string name;
    pass_fn pass;
    perf::record_digest reference;  // from the warm-up pass
    std::vector<double> ns_per_record;  // CPU time, one per measurement
    double cpu_s = 0, wall_s = 0;       // all measurements
    uint64_t passes = 0;
};

void measure(contestant& c, perf::datagram_set& capture, double min_time_s) {
    double seconds = 0;
    uint64_t records = 0;
    double wall = 0;
    do {
        const pass_result r = c.pass(capture);
        if (r.digest.records != c.reference.records || r.digest.sum != c.reference.sum) {
            throw std::runtime_error(c.name + ": a pass decoded different records than the warm-up");
        }
        seconds += r.cpu_s;
        wall += r.wall_s;
        records += r.digest.records;
        ++c.passes;
    } while (seconds < min_time_s);
    c.cpu_s += seconds;
    c.wall_s += wall;
    c.ns_per_record.push_back(records ? seconds * 1e9 / static_cast<double>(records) : 0);
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
                cfg.min_time_s = std::atof(std::string(v).c_str());
                if (!(cfg.min_time_s >= 0)) return false;
            } else if (a == "--reps") {
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), cfg.reps);
                if (ec != std::errc{} || end != v.data() + v.size() || cfg.reps < 1) return false;
            } else if (a == "--make-capture") {
                cfg.make_capture = v;
            } else if (a == "--impl") {
                cfg.ours = v == "both" || v == "ours";
                cfg.fixbuf = v == "both" || v == "fixbuf";
                if (!cfg.ours && !cfg.fixbuf) return false;
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

}  // namespace

int main(int argc, char** argv) try {
    settings cfg;
    if (!parse_args(argc, argv, cfg)) {
        std::fprintf(stderr, "usage: decode_bench CAPTURE.pcap [--min-time S] [--reps N] [--impl both|ours|fixbuf]\n"
                     "                    [--make-capture PATH]\n");
        return 2;
    }
#ifndef IPFIX_BENCH_HAVE_FIXBUF
    if (cfg.fixbuf && !cfg.ours) {
        std::fprintf(stderr, "decode_bench: built without libfixbuf\n");
        return 2;
    }
    cfg.fixbuf = false;
#endif
    if (!cfg.make_capture.empty()) ensure_capture(cfg.make_capture, cfg.capture);
    perf::datagram_set capture = perf::load_udp_payloads(cfg.capture, 4739);
    if (capture.datagrams.empty()) throw std::runtime_error(cfg.capture + ": no UDP datagrams to port 4739");
    const int cpu = pin_to_current_cpu();

    proto::decoded_message msg;
    std::vector<contestant> contestants;
    proto::decode_counters counters;
    if (cfg.ours) {
        contestants.push_back({"ipfix-proto", [&msg](perf::datagram_set& c) { return ours_pass(c, msg, nullptr); },
                               {}, {}, 0});
    }
#ifdef IPFIX_BENCH_HAVE_FIXBUF
    perf::fixbuf_model model;
    uint64_t fixbuf_errors = 0;
    if (cfg.fixbuf) {
        contestants.push_back({"libfixbuf-" + perf::fixbuf_version(),
                               [&model](perf::datagram_set& c) { return fixbuf_pass(c, model, nullptr); }, {}, {}, 0});
    }
#endif
    // Warm-up pass: caches, page faults, allocator; and the reference every later pass (and
    // the other decoder) must reproduce.
    for (contestant& c : contestants) {
        if (c.name == "ipfix-proto") c.reference = ours_pass(capture, msg, &counters).digest;
#ifdef IPFIX_BENCH_HAVE_FIXBUF
        else c.reference = fixbuf_pass(capture, model, &fixbuf_errors).digest;
#endif
    }
    if (cfg.ours) print_capture(capture, counters);
    bool same = true;
    for (const contestant& c : contestants) {
        same = same && c.reference.records == contestants[0].reference.records &&
               c.reference.sum == contestants[0].reference.sum;
        std::printf("%-18s %llu records, digest %016llx\n", c.name.c_str(),
                    static_cast<unsigned long long>(c.reference.records),
                    static_cast<unsigned long long>(c.reference.sum));
    }
#ifdef IPFIX_BENCH_HAVE_FIXBUF
    if (fixbuf_errors) std::printf("libfixbuf reported %llu errors\n", static_cast<unsigned long long>(fixbuf_errors));
#endif
    if (!same) {
        std::fprintf(stderr, "decode_bench: the decoders disagree on the records: the comparison is void\n");
        return 1;
    }

    for (int rep = 0; rep < cfg.reps; ++rep) {
        for (contestant& c : contestants) measure(c, capture, cfg.min_time_s);
    }

    std::printf("\nsingle thread%s; %d measurements of >= %.2f s of thread CPU time each\n",
                cpu >= 0 ? (", pinned to cpu " + std::to_string(cpu)).c_str() : "", cfg.reps, cfg.min_time_s);
    std::printf("%-18s %10s %21s %16s %7s %9s\n", "decoder", "ns/record", "(min .. max)", "Mrecords/s/core", "passes",
                "wall/cpu");
    std::vector<double> medians;
    for (const contestant& c : contestants) {
        const double med = median(c.ns_per_record);
        const auto [lo, hi] = std::minmax_element(c.ns_per_record.begin(), c.ns_per_record.end());
        medians.push_back(med);
        std::printf("%-18s %10.2f  (%7.2f .. %7.2f) %16.2f %7llu %9.3f\n", c.name.c_str(), med, *lo, *hi, 1e3 / med,
                    static_cast<unsigned long long>(c.passes), c.wall_s / c.cpu_s);
    }
    const bool compared = contestants.size() == 2;
    const double ratio = compared ? medians[1] / medians[0] : 0;
    if (compared) std::printf("ratio: libfixbuf takes %.2fx the time of ipfix-proto per record\n", ratio);
    if (cfg.ours) {
        std::printf("targets: >= 20 M records/s/core: %s", 1e3 / medians[0] >= 20 ? "met" : "NOT met");
        if (compared) std::printf("; >= 10x libfixbuf: %s", ratio >= 10 ? "met" : "NOT met");
        std::printf("\n");
    }
    for (const contestant& c : contestants) {
        if (c.wall_s > 1.05 * c.cpu_s) {
            std::printf("note: %s ran %.0f%% longer in wall time than on the CPU: the machine was busy\n",
                        c.name.c_str(), (c.wall_s / c.cpu_s - 1) * 100);
        }
    }
    std::printf("\n");
    for (size_t i = 0; i < contestants.size(); ++i) {
        const contestant& c = contestants[i];
        const auto [lo, hi] = std::minmax_element(c.ns_per_record.begin(), c.ns_per_record.end());
        std::printf("{\"benchmark\":\"decode\",\"decoder\":\"%s\",\"records_per_pass\":%llu,\"ns_per_record\":%.3f,"
                    "\"ns_per_record_min\":%.3f,\"ns_per_record_max\":%.3f,\"records_per_s_per_core\":%.0f,"
                    "\"wall_over_cpu\":%.3f}\n",
                    c.name.c_str(), static_cast<unsigned long long>(c.reference.records), medians[i], *lo, *hi,
                    1e9 / medians[i], c.wall_s / c.cpu_s);
    }
    if (compared) std::printf("{\"benchmark\":\"decode\",\"ratio_vs_libfixbuf\":%.3f}\n", ratio);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "decode_bench: %s\n", e.what());
    return 1;
}
