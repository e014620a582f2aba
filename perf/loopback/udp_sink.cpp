// udp_sink: the loopback benchmark's counting collector. Binds a loopback address, takes
// datagrams in recvmmsg bursts into a large socket buffer, and counts them and their records
// (proto::decoder, templates learnt per sender and observation domain), until it has been idle
// for --idle-ms after the first datagram, or nothing came for --start-timeout-s, or --deadline-s
// has passed, or SIGTERM/SIGINT. Prints one JSON object on stdout.
//
//   udp_sink --bind 127.0.0.1:2056 [--idle-ms 700] [--start-timeout-s 30] [--deadline-s 120]
//            [--rcvbuf BYTES] [--no-decode]
//
// Writes "udp_sink: listening on ADDR:PORT" to stderr once bound (--bind with port 0: the
// kernel's pick is in that line).
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "ipfix/io/socket_address.hpp"
#include "ipfix/proto/decoder.hpp"

namespace {

using namespace ipfix;

constexpr size_t burst = 256;
constexpr size_t slot_bytes = 16384;  // more than any datagram our middle boxes send (MTU <= 9216)
constexpr int poll_ms = 20;  // how often a quiet socket looks at the clock and the stop flag

volatile sig_atomic_t stop_requested = 0;

struct settings {
    std::string bind;
    int idle_ms = 700;
    double start_timeout_s = 30;
    double deadline_s = 120;
    int rcvbuf = 64 << 20;
    bool decode = true;
};

bool is_loopback(const proto::ip_address& a) {
    if (a.family == 4) return a.bytes[0] == 127;
    if (a.family != 6) return false;
    for (size_t i = 0; i < 15; ++i) {
        if (a.bytes[i] != 0) return false;
    }
    return a.bytes[15] == 1;
}

double now_s() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

uint64_t kernel_drops(int fd) {
    uint32_t info[SK_MEMINFO_VARS] = {};
    socklen_t length = sizeof info;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &length) == 0 && length > SK_MEMINFO_DROPS * sizeof(uint32_t))
        return info[SK_MEMINFO_DROPS];
    return 0;
}

int open_socket(const io::socket_address& at, int rcvbuf, io::socket_address& bound) {
    const int fd = ::socket(at.address.family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    // As root SO_RCVBUFFORCE passes net.core.rmem_max; otherwise the capped SO_RCVBUF.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_storage ss{};
    socklen_t len = at.to_sockaddr(ss);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        ::close(fd);
        return -1;
    }
    len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    bound = io::socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len).value_or(at);
    return fd;
}

int buffer_size(int fd) {
    int v = 0;
    socklen_t len = sizeof v;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len);
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    CLI::App app{"udp_sink: counts the datagrams and records sent to a loopback UDP port"};
    app.add_option("--bind", s.bind, "127.0.0.1:PORT or [::1]:PORT (port 0: any)")->required();
    app.add_option("--idle-ms", s.idle_ms, "stop this long after the last datagram")->check(CLI::Range(1, 60'000))->capture_default_str();
    app.add_option("--start-timeout-s", s.start_timeout_s, "stop when nothing came for this long")->check(CLI::Range(0.1, 600.0))->capture_default_str();
    app.add_option("--deadline-s", s.deadline_s, "stop after this long in any case")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    app.add_option("--rcvbuf", s.rcvbuf, "SO_RCVBUF bytes")->capture_default_str();
    bool no_decode = false;
    app.add_flag("--no-decode", no_decode, "count datagrams only");
    CLI11_PARSE(app, argc, argv);
    s.decode = !no_decode;

    std::string why;
    const auto at = io::socket_address::parse(s.bind, &why);
    if (!at || !is_loopback(at->address)) {
        std::fprintf(stderr, "udp_sink: --bind %s: %s\n", s.bind.c_str(), at ? "not a loopback address" : why.c_str());
        return 2;
    }
    io::socket_address bound;
    const int fd = open_socket(*at, s.rcvbuf, bound);
    if (fd < 0) {
        std::perror(("udp_sink: cannot bind " + s.bind).c_str());
        return 1;
    }
    struct sigaction sa{};
    sa.sa_handler = [](int) { stop_requested = 1; };
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::fprintf(stderr, "udp_sink: listening on %s (rcvbuf %d)\n", bound.to_string().c_str(), buffer_size(fd));
    std::fflush(stderr);

    std::vector<uint8_t> storage(burst * slot_bytes);
    std::array<mmsghdr, burst> headers{};
    std::array<iovec, burst> vectors{};
    std::array<sockaddr_storage, burst> names{};
    proto::decoder dec;
    proto::decoded_message msg;
    uint64_t datagrams = 0, bytes = 0, truncated = 0, errors = 0;
    const double start = now_s();
    double first = 0, last = 0;
    const char* why_stopped = "deadline";

    for (;;) {
        const double now = now_s();
        if (stop_requested) {
            why_stopped = "signal";
            break;
        }
        if (now - start >= s.deadline_s) break;
        if (datagrams == 0 && now - start >= s.start_timeout_s) {
            why_stopped = "start_timeout";
            break;
        }
        if (datagrams > 0 && (now - last) * 1000 >= s.idle_ms) {
            why_stopped = "idle";
            break;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, poll_ms) <= 0) continue;
        // Drain what is there before looking at the clock again.
        for (int rounds = 0; rounds < 64; ++rounds) {
            for (size_t i = 0; i < burst; ++i) {
                vectors[i] = {storage.data() + i * slot_bytes, slot_bytes};
                headers[i].msg_hdr = {};
                headers[i].msg_hdr.msg_name = &names[i];
                headers[i].msg_hdr.msg_namelen = sizeof names[i];
                headers[i].msg_hdr.msg_iov = &vectors[i];
                headers[i].msg_hdr.msg_iovlen = 1;
            }
            const int got = ::recvmmsg(fd, headers.data(), burst, MSG_DONTWAIT, nullptr);
            if (got <= 0) {
                if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++errors;
                break;
            }
            const double t = now_s();
            if (datagrams == 0) first = t;
            last = t;
            const auto wall_ms = static_cast<uint64_t>(t * 1000);
            for (int i = 0; i < got; ++i) {
                const msghdr& h = headers[static_cast<size_t>(i)].msg_hdr;
                const size_t len = headers[static_cast<size_t>(i)].msg_len;
                ++datagrams;
                bytes += len;
                if (h.msg_flags & MSG_TRUNC) {
                    ++truncated;
                    continue;
                }
                if (!s.decode) continue;
                const auto from = io::socket_address::from_sockaddr(reinterpret_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
                dec.decode(from ? from->endpoint() : proto::exporter_endpoint{},
                           {storage.data() + static_cast<size_t>(i) * slot_bytes, len}, wall_ms, msg);
            }
            if (static_cast<size_t>(got) < burst) break;
        }
    }
    const uint64_t drops = kernel_drops(fd);
    ::close(fd);
    const proto::decode_counters& c = dec.counters();
    std::printf(
        "{\"datagrams\": %llu, \"bytes\": %llu, \"records\": %llu, \"messages_decoded\": %llu, \"malformed\": %llu, "
        "\"unknown_template\": %llu, \"sequence_lost\": %llu, \"truncated\": %llu, \"errors\": %llu, "
        "\"kernel_drops\": %llu, \"first_to_last_s\": %.6f, \"stopped_by\": \"%s\", \"port\": %u}\n",
        static_cast<unsigned long long>(datagrams), static_cast<unsigned long long>(bytes),
        static_cast<unsigned long long>(c.records), static_cast<unsigned long long>(c.messages),
        static_cast<unsigned long long>(c.malformed_total()),
        static_cast<unsigned long long>(c[proto::malformed::unknown_template]),
        static_cast<unsigned long long>(c.sequence_lost), static_cast<unsigned long long>(truncated),
        static_cast<unsigned long long>(errors), static_cast<unsigned long long>(drops), datagrams ? last - first : 0.0,
        why_stopped, static_cast<unsigned>(bound.port));
    return 0;
}
