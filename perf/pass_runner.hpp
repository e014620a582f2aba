// One timed pass of a decoder over a whole capture, with the payloads where a collector would
// have them: in cache, just copied in by recvmmsg (`from_cache`), or in main memory, read
// straight from the 54 MB capture (`from_memory`).
//
//   pass_result r = run_pass(capture, payload_source::from_cache, batch,
//                            [&](const datagram& d, std::span<uint8_t> p, record_digest& dg) { ... });
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <span>
#include <vector>

#include "pcap_payloads.hpp"
#include "record_digest.hpp"

namespace ipfix::perf {

enum class payload_source : uint8_t { from_cache, from_memory };

struct pass_result {
    double cpu_s = 0;   // the thread's CPU time spent decoding
    double wall_s = 0;  // wall time spent decoding
    record_digest digest;
};

// The receive buffer of a collector: `batch_size` datagrams copied in one after another at
// cache-line boundaries, as one recvmmsg() call would leave them.
class receive_batch {
public:
    static constexpr size_t batch_size = 64;

    size_t fill(datagram_set& capture, size_t first) {
        const size_t n = std::min(batch_size, capture.datagrams.size() - first);
        size_t need = 0;
        for (size_t i = 0; i < n; ++i) need += align(capture.datagrams[first + i].length);
        if (bytes_.size() < need) bytes_.resize(need);
        slots_.clear();
        size_t at = 0;
        for (size_t i = 0; i < n; ++i) {
            const std::span<uint8_t> p = capture.payload(capture.datagrams[first + i]);
            std::memcpy(bytes_.data() + at, p.data(), p.size());
            slots_.push_back({bytes_.data() + at, p.size()});
            at += align(p.size());
        }
        return n;
    }
    std::span<uint8_t> operator[](size_t i) const { return slots_[i]; }

private:
    static size_t align(size_t n) { return (n + 63) & ~size_t{63}; }
    std::vector<uint8_t> bytes_;
    std::vector<std::span<uint8_t>> slots_;
};

inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `decode(datagram, payload, digest)` on every datagram. The figures use the thread's CPU
// time, which other processes on a shared machine inflate far less than wall time. Reading
// that clock costs microseconds here, too much per batch, so with batches the pass's CPU time
// is apportioned by the share of wall time spent decoding (not copying).
template <class Decode>
pass_result run_pass(datagram_set& capture, payload_source source, receive_batch& batch, Decode&& decode) {
    using clock = std::chrono::steady_clock;
    pass_result r;
    const double cpu0 = thread_cpu_seconds();
    const clock::time_point wall0 = clock::now();
    clock::duration decoding{};
    if (source == payload_source::from_memory) {
        for (const datagram& d : capture.datagrams) decode(d, capture.payload(d), r.digest);
    } else {
        for (size_t first = 0; first < capture.datagrams.size();) {
            const size_t n = batch.fill(capture, first);
            const clock::time_point t0 = clock::now();
            for (size_t i = 0; i < n; ++i) decode(capture.datagrams[first + i], batch[i], r.digest);
            decoding += clock::now() - t0;
            first += n;
        }
    }
    const double wall = std::chrono::duration<double>(clock::now() - wall0).count();
    const double cpu = thread_cpu_seconds() - cpu0;
    do_not_optimize(r.digest);
    const double share = source == payload_source::from_memory || wall <= 0
                             ? 1.0
                             : std::chrono::duration<double>(decoding).count() / wall;
    r.wall_s = wall * share;
    r.cpu_s = cpu * share;
    return r;
}

}  // namespace ipfix::perf
