// AS lookup cost: our compiled table (prefix_table::find) beside libmaxminddb's
// MMDB_lookup_sockaddr on the same databases and the same address stream, in one run.
//
//   lookup_bench [--asn FILE] [--country FILE] [--lookups N] [--reps N]
//                [--asdb PATH/TO/ipfix-asdb --workdir DIR]
//
// Databases: --asn/--country, else $IPFIX_ASDB_DIR or /var/lib/ipfix-enricher/{asn,country}.mmdb
// (what tools/fetch-asdb installs); when there is no ASN database, a large one is generated in
// --workdir with ipfix-asdb (500k random prefixes, kept for the next run).
//
// Address mix: a pool of 200k addresses (90% inside the database's networks, 10% anywhere;
// 75% IPv4), drawn with a Zipf law (s = 1.1), so a few addresses repeat a lot and a long tail
// appears rarely, as in flow records; a uniform-random IPv4 stream shows the cold-cache case.
// Each figure is the median of --reps passes (min-max beside it), in thread CPU time. Peak RSS is read from
// /proc/self/status after loading, before the streams are built.
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/enrich/table_loader.hpp"
#include "lookup_bench_dir24.hpp"

namespace {

using namespace ipfix::enrich;
using ipfix::proto::ip_address;
using clock_type = std::chrono::steady_clock;

struct settings {
    std::string asn, country, asdb, workdir = ".";
    size_t lookups = 4'000'000;
    int reps = 5;
};

long status_kib(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0) return std::strtol(line.c_str() + n + 1, nullptr, 10);
    return -1;
}

// 500k random prefixes in ipfix-asdb's prefix,asn,org form, IPv4 /12../24 and IPv6 /24../48.
std::string generate_db(const settings& s) {
    const std::string db = s.workdir + "/lookup_bench_generated.mmdb";
    if (std::filesystem::exists(db)) return db;
    if (s.asdb.empty()) throw std::runtime_error("no database found and no --asdb to generate one");
    const std::string csv = s.workdir + "/lookup_bench_generated.csv";
    {
        std::ofstream out(csv);
        std::mt19937_64 rng(42);
        for (int i = 0; i < 500'000; ++i) {
            const uint32_t asn = 1 + static_cast<uint32_t>(rng() % 60000);
            if (i % 5 != 4) {
                const unsigned len = 12 + static_cast<unsigned>(rng() % 13);
                const uint32_t a = static_cast<uint32_t>(rng()) & ~((1u << (32 - len)) - 1);
                out << (a >> 24) << '.' << ((a >> 16) & 255) << '.' << ((a >> 8) & 255) << '.' << (a & 255) << '/'
                    << len << ',' << asn << ",Generated org " << asn << '\n';
            } else {
                const unsigned len = 24 + static_cast<unsigned>(rng() % 25);
                const uint64_t hi = (0x2ull << 60 | (rng() >> 4)) & ~((1ull << (64 - len)) - 1);
                char buf[64];
                std::snprintf(buf, sizeof buf, "%x:%x:%x:%x::/%u", static_cast<unsigned>(hi >> 48),
                              static_cast<unsigned>((hi >> 32) & 0xffff), static_cast<unsigned>((hi >> 16) & 0xffff),
                              static_cast<unsigned>(hi & 0xffff), len);
                out << buf << ',' << asn << ",Generated org " << asn << '\n';
            }
        }
    }
    std::printf("generating %s with ipfix-asdb (500000 prefixes)...\n", db.c_str());
    std::fflush(stdout);
    const std::string cmd = "'" + s.asdb + "' build '" + db + "' '" + csv + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("ipfix-asdb build failed");
    std::filesystem::remove(csv);
    return db;
}

struct mmdb_handle {
    MMDB_s db{};
    explicit mmdb_handle(const std::string& path) {
        if (MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db) != MMDB_SUCCESS) throw std::runtime_error("MMDB_open " + path);
    }
    ~mmdb_handle() { MMDB_close(&db); }
};

struct probe {
    ip_address addr;
    sockaddr_in6 sa6;  // or a sockaddr_in in its first bytes
    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&sa6); }
};

probe make_probe(const ip_address& a) {
    probe p{a, {}};
    if (a.family == 4) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&p.sa6);
        sin->sin_family = AF_INET;
        std::memcpy(&sin->sin_addr, a.bytes.data(), 4);
    } else {
        p.sa6.sin6_family = AF_INET6;
        std::memcpy(&p.sa6.sin6_addr, a.bytes.data(), 16);
    }
    return p;
}

// Addresses inside the data networks of the partitions, some anywhere; 75% IPv4.
std::vector<probe> make_pool(const table_parts& parts, size_t n, std::mt19937_64& rng) {
    std::vector<probe> pool;
    pool.reserve(n);
    std::vector<size_t> v4_data, v6_data;
    for (size_t i = 0; i < parts.v4.size(); ++i)
        if (parts.v4[i].value) v4_data.push_back(i);
    for (size_t i = 0; i < parts.v6.size(); ++i)
        if (parts.v6[i].value && parts.v6[i].value < v4_alias_base) v6_data.push_back(i);
    while (pool.size() < n) {
        const bool v4 = rng() % 4 != 0 || v6_data.empty();
        const bool anywhere = rng() % 10 == 0;
        if (v4) {
            uint32_t a = static_cast<uint32_t>(rng());
            if (!anywhere && !v4_data.empty()) {
                const size_t i = v4_data[rng() % v4_data.size()];
                const uint32_t first = parts.v4[i].start;
                const uint32_t last = i + 1 < parts.v4.size() ? parts.v4[i + 1].start - 1 : UINT32_MAX;
                a = first + static_cast<uint32_t>(rng() % (uint64_t{last} - first + 1));
            }
            pool.push_back(make_probe(ip_address::v4_host(a)));
        } else {
            u128 k = (u128{rng()} << 64) | rng();
            if (!anywhere) {
                const size_t i = v6_data[rng() % v6_data.size()];
                const u128 first = parts.v6[i].start;
                const u128 last = i + 1 < parts.v6.size() ? parts.v6[i + 1].start - 1 : ~u128{0};
                const u128 span = last - first;
                k = first + (span == ~u128{0} ? k : k % (span + 1));
            }
            ip_address a;
            a.family = 6;
            v6_bytes(k, a.bytes.data());
            pool.push_back(make_probe(a));
        }
    }
    return pool;
}

// Indexes into the pool, Zipf-distributed over a random permutation of it.
std::vector<uint32_t> zipf_stream(size_t pool, size_t n, double s, std::mt19937_64& rng) {
    std::vector<double> cdf(pool);
    double sum = 0;
    for (size_t i = 0; i < pool; ++i) cdf[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
    std::vector<uint32_t> perm(pool);
    for (size_t i = 0; i < pool; ++i) perm[i] = static_cast<uint32_t>(i);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::uniform_real_distribution<double> u(0, sum);
    std::vector<uint32_t> out(n);
    for (auto& x : out) x = perm[static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin())];
    return out;
}

struct figure {
    double median, min, max;
};

volatile uint64_t checksum_sink;  // keeps every pass's result alive

// This thread's CPU time: on a shared (or busy) box, time spent descheduled is not lookup time.
double thread_cpu_ns() {
    timespec ts;
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// ns per item of `pass`, which handles `items` items and returns a checksum kept alive.
figure measure(int reps, size_t items, const std::function<uint64_t()>& pass) {
    checksum_sink = pass();  // warm up
    std::vector<double> ns;
    for (int r = 0; r < reps; ++r) {
        const double t0 = thread_cpu_ns();
        checksum_sink = pass();
        ns.push_back((thread_cpu_ns() - t0) / static_cast<double>(items));
    }
    std::sort(ns.begin(), ns.end());
    return {ns[ns.size() / 2], ns.front(), ns.back()};
}

void print(const char* what, const figure& f) {
    std::printf("  %-58s %8.1f ns/lookup  (%.1f-%.1f)\n", what, f.median, f.min, f.max);
}

int run(settings s) {
    if (s.asn.empty()) {
        const char* dir = std::getenv("IPFIX_ASDB_DIR");
        const std::string d = dir ? dir : "/var/lib/ipfix-enricher";
        if (std::filesystem::exists(d + "/asn.mmdb")) s.asn = d + "/asn.mmdb";
        if (s.country.empty() && std::filesystem::exists(d + "/country.mmdb")) s.country = d + "/country.mmdb";
    }
    if (s.asn.empty()) s.asn = generate_db(s);
    std::vector<std::string> paths{s.asn};
    if (!s.country.empty()) paths.push_back(s.country);

    const long rss_before = status_kib("VmRSS:");
    const auto t0 = clock_type::now();
    table_parts parts = load_parts(paths);
    const auto t1 = clock_type::now();
    table_parts parts_copy = parts;  // the pool and the variants are built from the partitions
    const prefix_table table(std::move(parts_copy));
    const auto t2 = clock_type::now();
    const long hwm = status_kib("VmHWM:");
    for (const auto& src : table.sources())
        std::printf("database %s: %s, %u nodes, %zu data records\n", src.path.c_str(), src.database_type.c_str(),
                    src.node_count, src.data_records);
    const auto& st = table.stats();
    std::printf("table: IPv4 %zu segments / %zu nodes, IPv6 %zu segments / %zu nodes, %zu rows, %.1f MiB\n",
                st.v4_segments, st.v4_nodes, st.v6_segments, st.v6_nodes, st.attributes,
                static_cast<double>(st.memory_bytes) / (1 << 20));
    std::printf("load: read+merge %.0f ms, compile %.0f ms; RSS %ld KiB before, peak %ld KiB (%.0f MiB) loaded\n",
                std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count(), rss_before, hwm,
                static_cast<double>(hwm) / 1024);

    std::vector<std::unique_ptr<mmdb_handle>> mmdbs;
    for (const auto& p : paths) mmdbs.push_back(std::make_unique<mmdb_handle>(p));

    std::mt19937_64 rng(1);
    const auto pool = make_pool(parts, 200'000, rng);
    const auto stream = zipf_stream(pool.size(), s.lookups, 1.1, rng);
    std::vector<uint32_t> uniform_v4(s.lookups);
    for (auto& a : uniform_v4) a = static_cast<uint32_t>(rng());
    std::vector<uint32_t> zipf_v4;
    for (uint32_t i : stream)
        if (pool[i].addr.family == 4) zipf_v4.push_back(v4_key(pool[i].addr.bytes.data()));

    size_t agree = 0, found = 0;
    for (uint32_t i = 0; i < pool.size(); ++i) {
        const auto ours = table.lookup(pool[i].addr);
        found += ours.found;
        int err = 0;
        const auto r = MMDB_lookup_sockaddr(&mmdbs[0]->db, pool[i].sa(), &err);
        MMDB_entry_data_s d{};
        uint32_t asn = 0;
        if (err == MMDB_SUCCESS && r.found_entry &&
            MMDB_get_value(const_cast<MMDB_entry_s*>(&r.entry), &d, "autonomous_system_number", nullptr) ==
                MMDB_SUCCESS &&
            d.has_data)
            asn = d.uint32;
        agree += asn == ours.asn;
    }
    std::printf("address pool: %zu addresses, %zu found, ASN agrees with libmaxminddb on %zu\n", pool.size(), found,
                agree);
    std::printf("stream: %zu lookups, Zipf s=1.1 over the pool (%zu IPv4), %d reps\n\n", stream.size(),
                zipf_v4.size(), s.reps);

    const size_t n = stream.size();
    const figure ours = measure(s.reps, n, [&] {
        uint64_t sum = 0;
        for (uint32_t i : stream) sum += table.find(pool[i].addr);
        return sum;
    });
    const figure ours_asn = measure(s.reps, n, [&] {
        uint64_t sum = 0;
        for (uint32_t i : stream) sum += table.attributes(table.find(pool[i].addr)).asn;
        return sum;
    });
    const figure mmdb_one = measure(s.reps, n, [&] {
        uint64_t sum = 0;
        int err = 0;
        for (uint32_t i : stream) sum += MMDB_lookup_sockaddr(&mmdbs[0]->db, pool[i].sa(), &err).entry.offset;
        return sum;
    });
    const figure mmdb_all = measure(s.reps, n, [&] {
        uint64_t sum = 0;
        int err = 0;
        for (uint32_t i : stream)
            for (const auto& m : mmdbs) sum += MMDB_lookup_sockaddr(&m->db, pool[i].sa(), &err).entry.offset;
        return sum;
    });
    const figure mmdb_asn = measure(s.reps, n, [&] {
        uint64_t sum = 0;
        int err = 0;
        MMDB_entry_data_s d;
        for (uint32_t i : stream) {
            MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&mmdbs[0]->db, pool[i].sa(), &err);
            if (r.found_entry && MMDB_get_value(&r.entry, &d, "autonomous_system_number", nullptr) == MMDB_SUCCESS &&
                d.has_data)
                sum += d.uint32;
        }
        return sum;
    });
    std::printf("Zipf mix, IPv4 and IPv6:\n");
    print("ours: prefix_table::find (ASN + org + country row)", ours);
    print("ours: find + attributes().asn", ours_asn);
    print("libmaxminddb: MMDB_lookup_sockaddr, ASN database", mmdb_one);
    if (mmdbs.size() > 1) print("libmaxminddb: MMDB_lookup_sockaddr, ASN + country databases", mmdb_all);
    print("libmaxminddb: lookup + MMDB_get_value(asn), ASN database", mmdb_asn);
    std::printf("  ratio libmaxminddb/ours: %.1fx (lookup_sockaddr, one database)", mmdb_one.median / ours.median);
    if (mmdbs.size() > 1) std::printf(", %.1fx (both databases)", mmdb_all.median / ours.median);
    std::printf(", %.1fx (lookup + ASN value)\n\n", mmdb_asn.median / ours_asn.median);

    // The structure choice for IPv4: poptrie with 16/18/20 direct bits against DIR-24-8.
    const poptrie<uint32_t, 16> p16(parts.v4);
    const poptrie<uint32_t, 18> p18(parts.v4);
    const poptrie<uint32_t, 20> p20(parts.v4);
    const perf::dir24_8 dir(parts.v4);
    auto v4_pass = [&](const std::vector<uint32_t>& keys, auto& t) {
        return measure(s.reps, keys.size(), [&] {
            uint64_t sum = 0;
            for (uint32_t k : keys) sum += t.find(k);
            return sum;
        });
    };
    const figure mmdb_v4_uniform = measure(s.reps, uniform_v4.size(), [&] {
        uint64_t sum = 0;
        int err = 0;
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        for (uint32_t k : uniform_v4) {
            sin.sin_addr.s_addr = htonl(k);
            sum += MMDB_lookup_sockaddr(&mmdbs[0]->db, reinterpret_cast<const sockaddr*>(&sin), &err).entry.offset;
        }
        return sum;
    });
    for (const auto* keys : {&zipf_v4, &uniform_v4}) {
        std::printf("IPv4 only, %s:\n", keys == &zipf_v4 ? "Zipf mix" : "uniform random addresses (cold cache)");
        char label[96];
        std::snprintf(label, sizeof label, "poptrie, 16 direct bits (%.1f MiB)", static_cast<double>(p16.memory_bytes()) / (1 << 20));
        print(label, v4_pass(*keys, p16));
        std::snprintf(label, sizeof label, "poptrie, 18 direct bits (%.1f MiB) [used]", static_cast<double>(p18.memory_bytes()) / (1 << 20));
        print(label, v4_pass(*keys, p18));
        std::snprintf(label, sizeof label, "poptrie, 20 direct bits (%.1f MiB)", static_cast<double>(p20.memory_bytes()) / (1 << 20));
        print(label, v4_pass(*keys, p20));
        std::snprintf(label, sizeof label, "DIR-24-8 (%.1f MiB)", static_cast<double>(dir.memory_bytes()) / (1 << 20));
        print(label, v4_pass(*keys, dir));
        if (keys == &uniform_v4) print("libmaxminddb: MMDB_lookup_sockaddr", mmdb_v4_uniform);
    }
    std::printf("\nVmHWM at exit (with the benchmark's own streams and the DIR-24-8 table): %ld KiB\n",
                status_kib("VmHWM:"));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "lookup_bench: %s needs a value\n", argv[i]);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--asn") s.asn = value();
        else if (a == "--country") s.country = value();
        else if (a == "--asdb") s.asdb = value();
        else if (a == "--workdir") s.workdir = value();
        else if (a == "--lookups") s.lookups = std::stoul(value());
        else if (a == "--reps") s.reps = std::stoi(value());
        else {
            std::fprintf(stderr,
                         "usage: lookup_bench [--asn FILE] [--country FILE] [--lookups N] [--reps N] "
                         "[--asdb ipfix-asdb --workdir DIR]\n");
            return 2;
        }
    }
    try {
        return run(s);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lookup_bench: %s\n", e.what());
        return 1;
    }
}
