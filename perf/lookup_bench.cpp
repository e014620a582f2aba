// AS lookup cost: our compiled table (prefix_table::find) beside libmaxminddb's
// MMDB_lookup_sockaddr on the same databases and the same address stream, in one run; and the
// structure choices behind the table (IPv4: poptrie variants vs DIR-24-8; IPv6: poptrie variants).
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
// /proc/self/status after the load and after a reload (two tables alive), before the streams are built.
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

#include "ipfix/enrich/as_database.hpp"
#include "ipfix/enrich/table_loader.hpp"

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

    // As the daemon does it: load, a worker holding the table, then a reload built beside it.
    const long rss_before = status_kib("VmRSS:");
    const auto t0 = clock_type::now();
    as_database db(load_table(paths));
    const auto t1 = clock_type::now();
    const long hwm_loaded = status_kib("VmHWM:");
    const long rss_loaded = status_kib("VmRSS:");
    as_database::reader worker(db);
    (void)worker.current();
    db.reload(paths);
    const long hwm_reload = status_kib("VmHWM:");
    (void)worker.current();  // the worker moves on; the old table can go
    db.reclaim();
    const auto table_ptr = db.snapshot();
    const prefix_table& table = *table_ptr;
    for (const auto& src : table.sources())
        std::printf("database %s: %s, %u nodes, %zu data records\n", src.path.c_str(), src.database_type.c_str(),
                    src.node_count, src.data_records);
    const auto& st = table.stats();
    std::printf("table: IPv4 %zu segments / %zu groups, IPv6 %zu segments / %zu nodes, %zu rows, %.1f MiB\n",
                st.v4_segments, st.v4_groups, st.v6_segments, st.v6_nodes, st.attributes,
                static_cast<double>(st.memory_bytes) / (1 << 20));
    std::printf("load_table: %.0f ms; RSS %.0f MiB before, %.0f MiB loaded; peak RSS %.0f MiB after the load, "
                "%.0f MiB through a reload\n",
                std::chrono::duration<double, std::milli>(t1 - t0).count(), static_cast<double>(rss_before) / 1024,
                static_cast<double>(rss_loaded) / 1024, static_cast<double>(hwm_loaded) / 1024,
                static_cast<double>(hwm_reload) / 1024);
    const table_parts parts = load_parts(paths);  // the address pool and the structure variants

    std::vector<std::unique_ptr<mmdb_handle>> mmdbs;
    for (const auto& p : paths) mmdbs.push_back(std::make_unique<mmdb_handle>(p));

    std::mt19937_64 rng(1);
    const auto pool = make_pool(parts, 200'000, rng);
    const auto stream = zipf_stream(pool.size(), s.lookups, 1.1, rng);

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
    std::printf("stream: %zu lookups, Zipf s=1.1 over the pool, %d reps; ns per lookup in thread CPU time, "
                "median (min-max)\n\n",
                stream.size(), s.reps);

    // Both sides read their input sequentially, as a burst of records would be.
    const size_t n = stream.size();
    std::vector<ip_address> addrs, addrs4, addrs6;
    std::vector<sockaddr_in6> sockaddrs;
    addrs.reserve(n);
    sockaddrs.reserve(n);
    for (uint32_t i : stream) {
        addrs.push_back(pool[i].addr);
        (pool[i].addr.family == 4 ? addrs4 : addrs6).push_back(pool[i].addr);
        sockaddrs.push_back(pool[i].sa6);
    }
    auto ours_find = [&](const std::vector<ip_address>& v) {
        return measure(s.reps, v.size(), [&] {
            uint64_t sum = 0;
            for (const auto& a : v) sum += table.find(a);
            return sum;
        });
    };
    auto ours_burst = [&](const std::vector<ip_address>& v) {
        return measure(s.reps, v.size(), [&] {
            uint32_t out[32];
            uint64_t sum = 0;
            for (size_t i = 0; i + 32 <= v.size(); i += 32) {
                table.find_burst(std::span<const ip_address>(v.data() + i, 32), out);
                for (uint32_t x : out) sum += x;
            }
            return sum;
        });
    };
    auto mmdb_pass = [&](size_t databases, bool asn_value) {
        return measure(s.reps, n, [&] {
            uint64_t sum = 0;
            int err = 0;
            MMDB_entry_data_s d;
            for (const auto& sa : sockaddrs)
                for (size_t k = 0; k < databases; ++k) {
                    MMDB_lookup_result_s r =
                        MMDB_lookup_sockaddr(&mmdbs[k]->db, reinterpret_cast<const sockaddr*>(&sa), &err);
                    sum += r.entry.offset;
                    if (asn_value && r.found_entry &&
                        MMDB_get_value(&r.entry, &d, "autonomous_system_number", nullptr) == MMDB_SUCCESS && d.has_data)
                        sum += d.uint32;
                }
            return sum;
        });
    };

    const figure ours = ours_find(addrs);
    const figure burst = ours_burst(addrs);
    const figure ours_asn = measure(s.reps, n, [&] {
        uint64_t sum = 0;
        for (const auto& a : addrs) sum += table.attributes(table.find(a)).asn;
        return sum;
    });
    const figure mmdb_one = mmdb_pass(1, false);
    const figure mmdb_asn = mmdb_pass(1, true);
    const figure mmdb_all = mmdbs.size() > 1 ? mmdb_pass(mmdbs.size(), false) : mmdb_one;
    std::printf("Zipf mix, IPv4 and IPv6:\n");
    print("ours: prefix_table::find, one by one", ours);
    print("ours: prefix_table::find_burst, bursts of 32", burst);
    print("ours: find + attributes().asn", ours_asn);
    print("libmaxminddb: MMDB_lookup_sockaddr, ASN database", mmdb_one);
    print("libmaxminddb: lookup_sockaddr + MMDB_get_value(asn)", mmdb_asn);
    if (mmdbs.size() > 1) print("libmaxminddb: lookup_sockaddr in ASN and country databases", mmdb_all);
    std::printf("  ratio, MMDB_lookup_sockaddr (ASN database) / ours: %.1fx one by one, %.1fx in bursts\n",
                mmdb_one.median / ours.median, mmdb_one.median / burst.median);
    std::printf("  ratio, lookup_sockaddr + get_value(asn) / find + asn: %.1fx\n", mmdb_asn.median / ours_asn.median);
    if (mmdbs.size() > 1)
        std::printf("  ratio, lookup_sockaddr in both databases / ours (one lookup gives both): %.1fx one by one, "
                    "%.1fx in bursts\n",
                    mmdb_all.median / ours.median, mmdb_all.median / burst.median);
    std::printf("\nby family (the addresses of the same mix):\n");
    print("ours: find, IPv4", ours_find(addrs4));
    print("ours: find_burst, IPv4", ours_burst(addrs4));
    print("ours: find, IPv6", ours_find(addrs6));
    print("ours: find_burst, IPv6", ours_burst(addrs6));

    // The structure choice for IPv4: poptrie with 16/18/20/24 direct bits against DIR-24-8.
    const poptrie<uint32_t, 16> p16(parts.v4);
    const poptrie<uint32_t, 18> p18(parts.v4);
    const poptrie<uint32_t, 20> p20(parts.v4);
    const poptrie<uint32_t, 24> p24(parts.v4);
    const dir24_8 dir(parts.v4);
    std::vector<uint32_t> zipf_v4, uniform_v4(s.lookups);
    for (const auto& a : addrs4) zipf_v4.push_back(v4_key(a.bytes.data()));
    for (auto& a : uniform_v4) a = static_cast<uint32_t>(rng());
    auto keys_pass = [&](const auto& keys, const auto& t) {
        return measure(s.reps, keys.size(), [&] {
            uint64_t sum = 0;
            for (const auto k : keys) sum += t.find(k);
            return sum;
        });
    };
    auto label = [](const char* what, size_t bytes) {
        static char buf[96];
        std::snprintf(buf, sizeof buf, "%s (%.1f MiB)", what, static_cast<double>(bytes) / (1 << 20));
        return buf;
    };
    for (const auto* keys : {&zipf_v4, &uniform_v4}) {
        std::printf("\nIPv4 structures, %s:\n", keys == &zipf_v4 ? "IPv4 of the Zipf mix" : "uniform random addresses");
        print(label("poptrie, 16 direct bits", p16.memory_bytes()), keys_pass(*keys, p16));
        print(label("poptrie, 18 direct bits", p18.memory_bytes()), keys_pass(*keys, p18));
        print(label("poptrie, 20 direct bits", p20.memory_bytes()), keys_pass(*keys, p20));
        print(label("poptrie, 24 direct bits", p24.memory_bytes()), keys_pass(*keys, p24));
        print(label("DIR-24-8 [used]", dir.memory_bytes()), keys_pass(*keys, dir));
    }
    print("libmaxminddb: MMDB_lookup_sockaddr, uniform random IPv4", measure(s.reps, uniform_v4.size(), [&] {
              uint64_t sum = 0;
              int err = 0;
              sockaddr_in sin{};
              sin.sin_family = AF_INET;
              for (uint32_t k : uniform_v4) {
                  sin.sin_addr.s_addr = htonl(k);
                  sum += MMDB_lookup_sockaddr(&mmdbs[0]->db, reinterpret_cast<const sockaddr*>(&sin), &err).entry.offset;
              }
              return sum;
          }));

    // IPv6: direct pointing of 16, 20 or 24 bits, 6 or 8-bit strides, one by one and in batches.
    std::vector<u128> zipf_v6;
    for (const auto& a : addrs6) zipf_v6.push_back(v6_key(a.bytes.data()));
    {
        const poptrie<u128, 16> q16(parts.v6);
        const poptrie<u128, 20> q20(parts.v6);
        const poptrie<u128, 24> q24(parts.v6);
        const poptrie<u128, 20, 2> q20g2(parts.v6);
        const poptrie<u128, 24, 2> q24g2(parts.v6);
        auto batch_pass = [&](const auto& t) {
            return measure(s.reps, zipf_v6.size(), [&] {
                std::vector<uint32_t> out(zipf_v6.size());
                t.find_batch(zipf_v6.data(), out.data(), zipf_v6.size());
                uint64_t sum = 0;
                for (uint32_t x : out) sum += x;
                return sum;
            });
        };
        std::printf("\nIPv6 structures, IPv6 of the Zipf mix:\n");
        print(label("poptrie, 16 direct bits", q16.memory_bytes()), keys_pass(zipf_v6, q16));
        print("  the same, find_batch", batch_pass(q16));
        print(label("poptrie, 20 direct bits", q20.memory_bytes()), keys_pass(zipf_v6, q20));
        print("  the same, find_batch", batch_pass(q20));
        print(label("poptrie, 24 direct bits", q24.memory_bytes()), keys_pass(zipf_v6, q24));
        print("  the same, find_batch", batch_pass(q24));
        print(label("poptrie, 20 direct bits, 8-bit strides", q20g2.memory_bytes()), keys_pass(zipf_v6, q20g2));
        print("  the same, find_batch", batch_pass(q20g2));
        print(label("poptrie, 24 direct bits, 8-bit strides [used]", q24g2.memory_bytes()), keys_pass(zipf_v6, q24g2));
        print("  the same, find_batch", batch_pass(q24g2));
        std::vector<sockaddr_in6> v6_sa;
        for (const auto& a : addrs6) {
            sockaddr_in6 x{};
            x.sin6_family = AF_INET6;
            std::memcpy(&x.sin6_addr, a.bytes.data(), 16);
            v6_sa.push_back(x);
        }
        print("libmaxminddb: MMDB_lookup_sockaddr, ASN database", measure(s.reps, v6_sa.size(), [&] {
                  uint64_t sum = 0;
                  int err = 0;
                  for (const auto& x : v6_sa)
                      sum += MMDB_lookup_sockaddr(&mmdbs[0]->db, reinterpret_cast<const sockaddr*>(&x), &err).entry.offset;
                  return sum;
              }));
    }
    std::printf("\nVmHWM at exit (with the benchmark's streams and comparison tables): %ld KiB\n",
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
