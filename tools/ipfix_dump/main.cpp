// ipfix-dump: prints every NetFlow v5/v9 and IPFIX data record found in captures (pcap,
// pcapng) or received on a UDP socket, as text or one JSON object per line, and a summary of
// the decoder's counters on stderr.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ipfix/io/capture_reader.hpp"
#include "dump_session.hpp"
#include "live_listener.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_usage = 2;  // bad options, or a capture that cannot be read

// Where exporters commonly send: NetFlow (2055, 9995, 9996) and IPFIX (4739).
const std::vector<uint16_t> default_ports = {2055, 4739, 9995, 9996};

int dump_captures(const std::vector<std::string>& paths, ipfix::dump::dump_session& session) {
    int status = exit_ok;
    for (const std::string& path : paths) {
        ipfix::io::capture_reader reader;
        if (!reader.open(path)) {
            session.flush();
            // libpcap names the file in some of its messages and not in others.
            if (reader.error().starts_with(path)) fmt::print(stderr, "ipfix-dump: {}\n", reader.error());
            else fmt::print(stderr, "ipfix-dump: {}: {}\n", path, reader.error());
            status = exit_usage;
            continue;
        }
        while (const ipfix::io::captured_frame* f = reader.next()) session.feed_frame(reader.link_type(), *f);
        if (!reader.error().empty()) {
            session.flush();
            fmt::print(stderr, "ipfix-dump: {}: {}\n", path, reader.error());
            status = exit_usage;
        }
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Print the NetFlow v5/v9 and IPFIX records in captures or received on a UDP socket."};
    app.name("ipfix-dump");
    bool json = false;
    bool frame_numbers = false;
    std::vector<uint16_t> extra_ports;
    std::string listen;
    std::vector<std::string> captures;
    app.add_flag("--json", json, "one JSON object per record and line");
    app.add_option("--port", extra_ports, "also decode UDP to this port (2055, 4739, 9995, 9996 always)")
        ->type_name("N")
        ->allow_extra_args(false);  // "--port 9991 file.pcap": the file is not a port
    app.add_flag("--frame-numbers", frame_numbers, "start each record with its capture frame number");
    auto* listen_option =
        app.add_option("--listen", listen, "receive on ADDR:PORT or [ADDR]:PORT until SIGINT/SIGTERM")
            ->type_name("ADDR:PORT");
    auto* captures_option = app.add_option("CAPTURE", captures, "pcap or pcapng files, read in order");
    captures_option->excludes(listen_option);
    try {
        app.parse(argc, argv);
        if (captures.empty() && listen.empty()) throw CLI::RequiredError("CAPTURE or --listen");
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }

    std::optional<ipfix::proto::exporter_endpoint> listen_at;
    if (!listen.empty()) {
        listen_at = ipfix::dump::parse_listen_address(listen);
        if (!listen_at) {
            fmt::print(stderr, "ipfix-dump: --listen {}: expected ADDR:PORT or [ADDR]:PORT\n", listen);
            return exit_usage;
        }
    }

    ipfix::dump::session_options options;
    options.json = json;
    options.frame_numbers = frame_numbers;
    options.ports = default_ports;
    options.ports.insert(options.ports.end(), extra_ports.begin(), extra_ports.end());
    ipfix::dump::dump_session session(options, stdout);

    int status = exit_ok;
    if (listen_at) {
        std::string error;
        if (!ipfix::dump::run_live(*listen_at, session, error)) {
            fmt::print(stderr, "ipfix-dump: --listen {}: {}\n", listen, error);
            return exit_usage;
        }
    } else {
        status = dump_captures(captures, session);
    }
    session.flush();
    session.print_summary(stderr);
    return status;
}
