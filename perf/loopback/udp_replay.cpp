// udp_replay: the loopback benchmark's load generator. Replays the UDP payloads of a capture to
// 127.0.0.1 or ::1 (nothing else is accepted) at a given packets/s, in sendmmsg bursts paced
// against an absolute schedule, until --count datagrams or --seconds have gone, whichever is
// first. Every exporter of the capture (address and port) is replayed from a source port of its
// own, in its own order and looped on its own, so its templates and sequence numbers stay
// consistent at the receiver and SO_REUSEPORT spreads exporters over a receiver's sockets. To
// 127.0.0.1 each source port also has an address of its own (127.1.0.1, 127.1.0.2, ...: all of
// 127/8 is local), as routers do: receivers that key exporters by address alone (nfcapd) or
// hash them to workers by address (the split layout) see them apart too.
//
//   udp_replay CAPTURE --to 127.0.0.1:2055 --rate 100000 --seconds 3 --count 300000 [--burst 32]
//              [--ports N] [--same-address] [--sndbuf BYTES]
//
// Prints one JSON object on stdout: datagrams and records sent, errors, seconds, achieved rate.
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "../pcap_payloads.hpp"
#include "ipfix/io/socket_address.hpp"
#include "ipfix/proto/decoder.hpp"

namespace {

using namespace ipfix;

constexpr double max_seconds = 600;           // hard cap whatever is asked
constexpr uint64_t max_count = 1'000'000'000;  // likewise
constexpr size_t max_burst = 1024;             // UIO_MAXIOV

struct settings {
    std::string capture;
    std::string to;
    double rate = 0;  // packets/s; 0: as fast as the sockets take them
    double seconds = 0;
    uint64_t count = 0;
    size_t burst = 32;
    size_t ports = 0;  // 0: one per exporter
    bool same_address = false;  // all ports on the destination's address
    int sndbuf = 4 << 20;
};

// One exporter of the capture: its messages in capture order, and where the replay is in them.
struct exporter {
    std::vector<size_t> messages;   // indices into datagram_set::datagrams
    std::vector<uint32_t> records_first;  // records per message on the first pass (templates being learnt)
    std::vector<uint32_t> records_again;  // ... on later passes
    size_t next = 0;
    bool looped = false;
    size_t socket = 0;
};

bool is_loopback(const proto::ip_address& a) {
    if (a.family == 4) return a.bytes[0] == 127;
    if (a.family != 6) return false;
    for (size_t i = 0; i < 15; ++i) {
        if (a.bytes[i] != 0) return false;
    }
    return a.bytes[15] == 1;
}

uint64_t now_ns() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

void sleep_until(uint64_t ns) {
    timespec t{};
    t.tv_sec = static_cast<time_t>(ns / 1'000'000'000u);
    t.tv_nsec = static_cast<long>(ns % 1'000'000'000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr) == EINTR) {
    }
}

// Groups the datagrams by sender and counts each message's records as a receiver decoding the
// replay in order would: the first pass learns the templates, later passes know them.
std::vector<exporter> group(const perf::datagram_set& set) {
    std::vector<exporter> out;
    std::unordered_map<proto::ip_address, std::unordered_map<uint16_t, size_t>, proto::ip_address_hash> index;
    for (size_t i = 0; i < set.datagrams.size(); ++i) {
        const proto::exporter_endpoint& from = set.datagrams[i].from;
        auto [it, fresh] = index[from.address].try_emplace(from.port, out.size());
        if (fresh) out.emplace_back();
        out[it->second].messages.push_back(i);
    }
    proto::decoder dec;
    proto::decoded_message msg;
    for (int pass = 0; pass < 2; ++pass) {
        for (exporter& e : out) {
            auto& counts = pass == 0 ? e.records_first : e.records_again;
            for (size_t i : e.messages) {
                const perf::datagram& d = set.datagrams[i];
                const uint64_t before = dec.counters().records;
                dec.decode(d.from, set.payload(d), d.time_ms, msg);
                counts.push_back(static_cast<uint32_t>(dec.counters().records - before));
            }
        }
    }
    return out;
}

// The address source socket `i` binds to: 127.1.0.0 + i + 1 for IPv4 unless `same`, else the
// destination's own (::1 is IPv6's only loopback address).
proto::ip_address source_address(size_t i, const io::socket_address& to, bool same) {
    if (same || to.address.family != 4) return to.address;
    const size_t host = i + 1;
    const uint8_t bytes[4] = {127, 1, static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host & 0xFF)};
    return proto::ip_address::v4(bytes);
}

// Source sockets bound to loopback addresses, ports picked by the kernel.
std::vector<int> open_sockets(size_t n, const io::socket_address& to, bool same_address, int sndbuf) {
    std::vector<int> fds;
    for (size_t i = 0; i < n; ++i) {
        const int fd = ::socket(to.address.family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            std::perror("udp_replay: socket");
            std::exit(1);
        }
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        sockaddr_storage ss{};
        const socklen_t len = io::socket_address{source_address(i, to, same_address), 0}.to_sockaddr(ss);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
            std::perror("udp_replay: bind");
            std::exit(1);
        }
        fds.push_back(fd);
    }
    return fds;
}

struct result {
    uint64_t sent = 0, records = 0, bytes = 0, errors = 0;
    int last_errno = 0;
    double seconds = 0;
};

result replay(const settings& s, perf::datagram_set& set, std::vector<exporter>& exporters,
              const std::vector<int>& fds, const io::socket_address& to) {
    sockaddr_storage dest{};
    const socklen_t dest_len = to.to_sockaddr(dest);
    std::vector<mmsghdr> headers(s.burst);
    std::vector<iovec> vectors(s.burst);
    std::vector<uint32_t> records(s.burst);
    result r;
    const double ns_per_packet = s.rate > 0 ? 1e9 / s.rate : 0;
    const uint64_t start = now_ns();
    const uint64_t end = start + static_cast<uint64_t>(s.seconds * 1e9);
    size_t turn = 0;
    uint64_t now = start;
    while (r.sent < s.count && now < end) {
        exporter& e = exporters[turn];
        turn = (turn + 1) % exporters.size();
        const size_t n = static_cast<size_t>(std::min<uint64_t>(s.burst, s.count - r.sent));
        for (size_t i = 0; i < n; ++i) {
            const perf::datagram& d = set.datagrams[e.messages[e.next]];
            records[i] = (e.looped ? e.records_again : e.records_first)[e.next];
            vectors[i] = {set.bytes.data() + d.offset, d.length};
            msghdr& h = headers[i].msg_hdr;
            h = {};
            h.msg_name = &dest;
            h.msg_namelen = dest_len;
            h.msg_iov = &vectors[i];
            h.msg_iovlen = 1;
            if (++e.next == e.messages.size()) {
                e.next = 0;
                e.looped = true;
            }
        }
        if (ns_per_packet > 0) {
            const uint64_t due = start + static_cast<uint64_t>(static_cast<double>(r.sent) * ns_per_packet);
            if (due > now) sleep_until(due);
        }
        // Blocking sockets: a short count is an error on the next message, which is skipped.
        size_t done = 0;
        while (done < n) {
            const int got = ::sendmmsg(fds[e.socket], headers.data() + done, static_cast<unsigned>(n - done), 0);
            if (got < 0) {
                if (errno == EINTR) continue;
                r.last_errno = errno;
                ++r.errors;
                ++done;
                continue;
            }
            for (size_t i = done; i < done + static_cast<size_t>(got); ++i) {
                r.records += records[i];
                r.bytes += headers[i].msg_len;
            }
            r.sent += static_cast<uint64_t>(got);
            done += static_cast<size_t>(got);
        }
        now = now_ns();
    }
    r.seconds = static_cast<double>(now - start) / 1e9;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    CLI::App app{"udp_replay: replays a capture's UDP payloads to a loopback address at a given rate"};
    app.add_option("capture", s.capture, "pcap with the datagrams (e.g. perf/make_capture's)")->required();
    app.add_option("--to", s.to, "destination, 127.0.0.1:PORT or [::1]:PORT (loopback only)")->required();
    app.add_option("--rate", s.rate, "packets/s (0: unpaced)")->check(CLI::Range(0.0, 1e8));
    app.add_option("--seconds", s.seconds, "stop after this long (at most 600)")->required()->check(CLI::Range(0.001, max_seconds));
    app.add_option("--count", s.count, "stop after this many datagrams")->required()->check(CLI::Range(uint64_t{1}, max_count));
    app.add_option("--burst", s.burst, "datagrams per sendmmsg")->check(CLI::Range(size_t{1}, max_burst))->capture_default_str();
    app.add_option("--ports", s.ports, "source ports (default: one per exporter; fewer share ports)");
    app.add_flag("--same-address", s.same_address, "every source port on the destination's address");
    app.add_option("--sndbuf", s.sndbuf, "SO_SNDBUF bytes per socket")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    std::string why;
    const auto to = io::socket_address::parse(s.to, &why);
    if (!to) {
        std::fprintf(stderr, "udp_replay: --to %s: %s\n", s.to.c_str(), why.c_str());
        return 2;
    }
    if (!is_loopback(to->address) || to->port == 0) {
        std::fprintf(stderr, "udp_replay: refusing %s: only 127.0.0.0/8 or ::1 with a port\n", s.to.c_str());
        return 2;
    }
    perf::datagram_set set;
    try {
        set = perf::load_udp_payloads(s.capture, 0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "udp_replay: %s\n", e.what());
        return 1;
    }
    if (set.datagrams.empty()) {
        std::fprintf(stderr, "udp_replay: %s holds no UDP datagrams\n", s.capture.c_str());
        return 1;
    }
    std::vector<exporter> exporters = group(set);
    const size_t ports = s.ports == 0 ? exporters.size() : std::min(s.ports, exporters.size());
    if (ports > 65000) {
        std::fprintf(stderr, "udp_replay: %zu exporters: at most 65000 source ports\n", ports);
        return 2;
    }
    for (size_t i = 0; i < exporters.size(); ++i) exporters[i].socket = i % ports;
    const std::vector<int> fds = open_sockets(ports, *to, s.same_address, s.sndbuf);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake at the burst's due time, not 50 us later

    const result r = replay(s, set, exporters, fds, *to);
    for (int fd : fds) ::close(fd);
    std::printf(
        "{\"sent\": %llu, \"records\": %llu, \"bytes\": %llu, \"errors\": %llu, \"last_errno\": %d, "
        "\"seconds\": %.6f, \"packets_per_s\": %.1f, \"target_packets_per_s\": %.1f, \"exporters\": %zu, "
        "\"ports\": %zu, \"distinct_addresses\": %s, \"burst\": %zu}\n",
        static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.records),
        static_cast<unsigned long long>(r.bytes), static_cast<unsigned long long>(r.errors), r.last_errno, r.seconds,
        r.seconds > 0 ? static_cast<double>(r.sent) / r.seconds : 0.0, s.rate, exporters.size(), ports,
        !s.same_address && to->address.family == 4 ? "true" : "false", s.burst);
    return r.sent > 0 ? 0 : 1;
}
