// ipfix-tail: follows the enriched records of a running ipfix-enricher live (its stats port's
// GET /api/v1/tail), one line each, colour-coded, with the same filters as the HTTP tail,
// --json, and --since from the retention store; or, with --log, the daemon's log highlighted.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "http_get.hpp"
#include "log_follow.hpp"
#include "record_text.hpp"
#include "tail_stream.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_unreachable = 1;  // the daemon cannot be reached, or ended the stream
constexpr int exit_usage = 2;        // bad options, or the daemon refused the filters

constexpr std::string_view description = R"(ipfix-tail - follow the enriched flow records of ipfix-enricher live

SYNOPSIS
  ipfix-tail [--host HOST:PORT] [FILTERS] [--json] [--since AGE] [--color WHEN]
  ipfix-tail --log [FILE]

DESCRIPTION
  Connects to the daemon's stats port (general.stats_address/stats_port, default
  127.0.0.1:9999) and prints each enriched record as it passes, one line per record:
    time  exporter  protocol  source:port -> destination:port  AS -> AS  countries  bytes packets
  AS numbers the daemon filled in are green, AS 0 (not found) red. When this client reads
  too slowly the daemon drops records for it alone and says how many (a yellow notice).
  Filters combine (all must hold); "source or destination" filters match either side.

EXIT STATUS
  0 stopped by the reader (--count reached), 1 the daemon is not reachable or ended the
  stream, 2 bad options or filters the daemon refused.

EXAMPLES
  ipfix-tail --as 64500 --protocol tcp
  ipfix-tail --prefix 2001:db8::/32 --json | jq .
  ipfix-tail --since 10m --exporter 192.0.2.7
  ipfix-tail --log /var/log/ipfix-enricher.log
)";

// "10m", "90s", "2h", "45" (seconds): seconds, 0 when malformed.
uint64_t parse_age(std::string_view text) {
    uint64_t unit = 1;
    if (!text.empty()) {
        switch (text.back()) {
            case 's': unit = 1; text.remove_suffix(1); break;
            case 'm': unit = 60; text.remove_suffix(1); break;
            case 'h': unit = 3600; text.remove_suffix(1); break;
            default: break;
        }
    }
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n > 100'000'000) return 0;
    return n * unit;
}

bool colour_wanted(const std::string& when) {
    if (when == "always") return true;
    if (when == "never") return false;
    const char* term = std::getenv("TERM");
    return ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr &&
           (term == nullptr || std::string_view(term) != "dumb");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{std::string(description), "ipfix-tail"};
    app.get_formatter()->column_width(34);
    std::string host = "127.0.0.1:9999";
    std::string exporter, address, prefix, as, port, protocol, since, color = "auto";
    std::string log_file;
    bool json = false, utc = false;
    uint64_t count = 0;
    app.add_option("--host,-H", host, "the daemon's stats port, HOST:PORT or [V6]:PORT")->capture_default_str();
    app.add_option("--exporter", exporter, "only records from this exporter: IP, IPv4:PORT or [IPv6]:PORT");
    app.add_option("--address", address, "only records with this source or destination address");
    app.add_option("--prefix", prefix, "only records with a source or destination in this prefix (CIDR)");
    app.add_option("--as", as, "only records with this source or destination AS");
    app.add_option("--port", port, "only records with this source or destination port");
    app.add_option("--protocol", protocol, "only records of this protocol: a number, tcp, udp, icmp, icmpv6, sctp");
    app.add_option("--since", since, "first the stored records of the last AGE (30s, 10m, 2h), then live");
    app.add_flag("--json", json, "the daemon's JSON lines as they come (one object per line)");
    app.add_option("--color,--colour", color, "colour: auto (when stdout is a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    app.add_flag("--utc", utc, "times in UTC (default: local time)");
    app.add_option("--count,-n", count, "stop after this many records (0: never)");
    auto* log = app.add_option("--log", log_file,
                               "follow the daemon's log instead, highlighted: FILE, or the journal when no FILE")
                    ->expected(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);  // CLI11's own codes (109, ...) are not the ones EXIT STATUS names
        return rc == 0 ? exit_ok : exit_usage;
    }
    const bool colour = colour_wanted(color);

    if (log->count() > 0) {
        return log_file.empty() ? ipfix::tail::follow_journal(colour) : ipfix::tail::follow_log_file(log_file, colour);
    }

    ipfix::tools::endpoint where;
    if (!ipfix::tools::parse_endpoint(host, where)) {
        std::fprintf(stderr, "ipfix-tail: --host '%s': expected HOST:PORT or [V6]:PORT\n", host.c_str());
        return exit_usage;
    }
    std::string target = "/api/v1/tail";
    char sep = '?';
    auto add = [&](std::string_view key, const std::string& value) {
        if (value.empty()) return;
        target += sep;
        target += ipfix::tail::query_part(key, value);
        sep = '&';
    };
    add("exporter", exporter);
    add("address", address);
    add("prefix", prefix);
    add("as", as);
    add("port", port);
    add("protocol", protocol);
    if (!since.empty()) {
        const uint64_t seconds = parse_age(since);
        if (seconds == 0) {
            std::fprintf(stderr, "ipfix-tail: --since '%s': expected an age like 30s, 10m or 2h\n", since.c_str());
            return exit_usage;
        }
        add("since", std::to_string(seconds));
    }

    const ipfix::tail::text_style style{colour, utc};
    uint64_t shown = 0;
    const auto r = ipfix::tail::follow_lines(where.host, where.port, target, std::chrono::seconds(5),
                                             [&](std::string_view line) {
                                                 if (line.empty()) return true;
                                                 if (json) {
                                                     std::fwrite(line.data(), 1, line.size(), stdout);
                                                 } else {
                                                     const std::string text = ipfix::tail::record_text(line, style);
                                                     std::fwrite(text.data(), 1, text.size(), stdout);
                                                 }
                                                 std::fputc('\n', stdout);
                                                 std::fflush(stdout);
                                                 const bool record = line.find("\"time_ms\"") != std::string_view::npos;
                                                 return !(record && count != 0 && ++shown >= count);
                                             });
    if (r.error.empty()) return exit_ok;
    std::fprintf(stderr, "ipfix-tail: %s\n", r.error.c_str());
    return r.refused ? exit_usage : exit_unreachable;
}
