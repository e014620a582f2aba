// ipfix-monitor: a live packet monitor for flow export traffic. One line per NetFlow v5/v9 or
// IPFIX packet seen on an interface (libpcap) or read from captures: time, exporter, size,
// protocol, domain, sequence, records, and the AS numbers the records carry.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ipfix/io/capture_reader.hpp"
#include "ipfix/io/frame_parser.hpp"
#include "ipfix/proto/decoder.hpp"
#include "packet_summary.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;  // the interface or a capture cannot be opened
constexpr int exit_usage = 2;
constexpr int poll_ms = 200;     // a live capture's read timeout: how soon a signal is noticed

const std::vector<uint16_t> default_ports = {2055, 4739, 9995, 9996};

constexpr const char* manual =
    "\nSYNOPSIS\n"
    "  ipfix-monitor -i IFACE [--port N]... [--json] [--color WHEN] [-c N] [--seconds S]\n"
    "  ipfix-monitor -r FILE... [--port N]... [--json] [--color WHEN] [-c N]\n"
    "\nDESCRIPTION\n"
    "  One line per export packet sent to UDP 2055, 4739, 9995, 9996 (and each --port):\n"
    "    time  exporter > destination  size  protocol  domain  sequence  records  AS numbers\n"
    "  NetFlow v5, v9 and IPFIX are decoded; v9 and IPFIX templates are learned from the packets\n"
    "  seen, so data sets before their template are counted as unknown. Live capture (libpcap)\n"
    "  needs CAP_NET_RAW; captures (pcap, pcapng) are read in the order given.\n"
    "\nEXIT STATUS\n"
    "  0 done (end of the captures, --count or --seconds reached, interrupted); 1 the interface\n"
    "  or a capture cannot be opened or read; 2 bad usage.\n"
    "\nEXAMPLES\n"
    "  ipfix-monitor -i eth0\n"
    "  ipfix-monitor -i lo --port 6343 --json -c 100\n"
    "  ipfix-monitor -r exporter.pcap --color never\n";

std::atomic<bool> stopping{false};

struct monitor {
    std::vector<uint16_t> ports;
    bool json = false;
    ipfix::monitor::line_style style;
    uint64_t limit = 0;  // packets to show; 0: no limit
    uint64_t shown = 0;
    bool live = false;
    ipfix::proto::decoder decoder;
    ipfix::proto::decoded_message message;

    bool done() const { return limit != 0 && shown >= limit; }

    void frame(int link_type, const ipfix::io::captured_frame& f) {
        const ipfix::io::parse_result r = ipfix::io::parse_frame(link_type, f.bytes, f.wire_length);
        if (!r.ok) return;
        if (std::find(ports.begin(), ports.end(), r.datagram.destination_port) == ports.end()) return;
        const bool ok = decoder.decode(r.datagram.source, r.datagram.payload, f.time_ms, message);
        const auto s = ipfix::monitor::summarise(f, r.datagram, ok, message);
        const std::string line = json ? ipfix::monitor::json_line(s) : ipfix::monitor::text_line(s, style);
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
        if (live) std::fflush(stdout);
        ++shown;
    }
};

std::string port_filter(const std::vector<uint16_t>& ports) {
    std::string f = "udp and (";
    for (size_t i = 0; i < ports.size(); ++i) {
        if (i) f += " or ";
        f += fmt::format("dst port {}", ports[i]);
    }
    return f + ")";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Show each NetFlow v5/v9 and IPFIX export packet on an interface or in captures: time, exporter, "
                 "size, protocol, domain, sequence, records and the AS numbers they carry. Live capture needs "
                 "CAP_NET_RAW (root)."};
    app.name("ipfix-monitor");
    app.footer(manual);
    std::string interface;
    std::vector<std::string> captures;
    std::vector<uint16_t> extra_ports;
    std::string colour = "auto";
    double seconds = 0;
    monitor m;
    auto* iface_option = app.add_option("-i,--interface", interface, "capture live on this interface (e.g. eth0, lo)")
                             ->type_name("IFACE");
    app.add_option("-r,--read", captures, "read these pcap/pcapng files instead, in order")
        ->type_name("FILE")
        ->excludes(iface_option);
    app.add_option("--port", extra_ports, "also show UDP to this port (2055, 4739, 9995, 9996 always)")
        ->type_name("N")
        ->allow_extra_args(false);
    app.add_flag("--json", m.json, "one JSON object per packet and line");
    app.add_option("--color", colour, "colour the text lines: auto (a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_option("-c,--count", m.limit, "stop after this many packets")->type_name("N");
    app.add_option("--seconds", seconds, "stop a live capture after this long")->type_name("S")
        ->check(CLI::Range(0.0, 1e9));
    try {
        app.parse(argc, argv);
        if (interface.empty() && captures.empty()) throw CLI::RequiredError("--interface or --read");
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }
    m.ports = default_ports;
    m.ports.insert(m.ports.end(), extra_ports.begin(), extra_ports.end());
    m.style.colour = colour == "always" || (colour == "auto" && isatty(STDOUT_FILENO));

    if (!captures.empty()) {
        for (const std::string& path : captures) {
            ipfix::io::capture_reader reader;
            if (!reader.open(path)) {
                fmt::print(stderr, "ipfix-monitor: {}: {}\n", path, reader.error());
                return exit_failure;
            }
            while (!m.done()) {
                const ipfix::io::captured_frame* f = reader.next();
                if (f == nullptr) break;
                m.frame(reader.link_type(), *f);
            }
            if (!reader.error().empty()) {
                fmt::print(stderr, "ipfix-monitor: {}: {}\n", path, reader.error());
                return exit_failure;
            }
        }
        return exit_ok;
    }

    struct sigaction sa {};
    sa.sa_handler = [](int) { stopping = true; };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    ipfix::io::capture_reader reader;
    if (!reader.open_live(interface, port_filter(m.ports), poll_ms)) {
        fmt::print(stderr, "ipfix-monitor: {}\n", reader.error());
        return exit_failure;
    }
    m.live = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!stopping && !m.done() && (seconds == 0 || std::chrono::steady_clock::now() < deadline)) {
        if (const ipfix::io::captured_frame* f = reader.next()) {
            m.frame(reader.link_type(), *f);
        } else if (!reader.error().empty()) {
            fmt::print(stderr, "ipfix-monitor: {}: {}\n", interface, reader.error());
            return exit_failure;
        }
    }
    return exit_ok;
}
