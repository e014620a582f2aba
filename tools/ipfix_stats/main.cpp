// ipfix-stats: the operator's terminal dashboard over a daemon's stats port.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <thread>

#include "terminal_ui.hpp"

namespace {

using namespace ipfix::tools;

constexpr int exit_ok = 0;
constexpr int exit_usage = 64;
constexpr int exit_unreachable = 2;

constexpr const char* manual =
    "\nSYNOPSIS\n"
    "  ipfix-stats [HOST:PORT] [--interval S] [--top N] [--view NAME] [--once]\n"
    "\nDESCRIPTION\n"
    "  Polls the stats port of ipfix-enricher (HTTP: /api/v1/stats, /as, /top, /exporters) every\n"
    "  interval and shows five views: Overview (packet, record and byte rates computed from\n"
    "  successive polls, drops and errors, collectors), AS (top source and destination AS), Talkers,\n"
    "  Exporters and Errors (drops and malformed input by reason). What a daemon does not serve is\n"
    "  shown as n/a. An unreachable daemon is said so on screen and retried every interval.\n"
    "\nKEYS\n"
    "  1-5 or Tab, Shift-Tab, Left, Right   switch view\n"
    "  Up, Down, PgUp, PgDn                 scroll a long view\n"
    "  p or Space                           pause (stop polling) and resume\n"
    "  q                                    quit\n"
    "\nONCE\n"
    "  --once polls twice, one interval apart (once with --interval 0: no rates), prints every view\n"
    "  (or the one named by --view) as plain text and exits.\n"
    "\nEXIT STATUS\n"
    "  0 done; 2 (--once) the daemon was unreachable; 64 bad usage.\n"
    "\nEXAMPLES\n"
    "  ipfix-stats                      the local daemon, default port 9999\n"
    "  ipfix-stats 10.0.0.5:9999 --interval 5\n"
    "  ipfix-stats --once --view errors\n";

bool view_by_name(const std::string& name, view_id& out) {
    for (size_t i = 0; i < view_names.size(); ++i) {
        std::string lower(view_names[i]);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == lower || name == std::to_string(i + 1)) {
            out = static_cast<view_id>(i);
            return true;
        }
    }
    return false;
}

int print_once(const endpoint& where, const poll_options& o, unsigned interval, std::optional<view_id> only) {
    screen_data d;
    d.target = where.text();
    d.interval_seconds = interval;
    record_poll(d, poll_daemon(where, o), clock_text());
    if (interval > 0 && d.unreachable.empty()) {
        std::this_thread::sleep_for(std::chrono::seconds(interval));
        record_poll(d, poll_daemon(where, o), clock_text());
    }
    if (!d.unreachable.empty()) {
        fmt::print("ipfix-enricher {}  UNREACHABLE\ncannot reach the daemon at {}: {}\n", d.target, d.target,
                   d.unreachable);
        return exit_unreachable;
    }
    fmt::print("{}\n", render_header(d));
    for (size_t i = 0; i < view_names.size(); ++i) {
        const auto v = static_cast<view_id>(i);
        if (only && *only != v) continue;
        fmt::print("\n== {} ==\n", view_names[i]);
        for (const std::string& line : render_view(v, d)) fmt::print("{}\n", line);
    }
    return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ipfix-stats - a live terminal dashboard of an ipfix-enricher daemon, over its stats port."};
    app.name("ipfix-stats");
    app.footer(manual);
    std::string target = "127.0.0.1:9999";
    unsigned interval = 1;
    unsigned top = 10;
    std::string view_name;
    bool once = false;
    app.add_option("target", target, "the daemon's stats port, HOST:PORT (default 127.0.0.1:9999)")
        ->type_name("HOST:PORT");
    app.add_option("-i,--interval", interval, "seconds between polls (default 1)")->check(CLI::Range(0u, 3600u));
    app.add_option("-n,--top", top, "entries in the AS and talker lists (default 10)")->check(CLI::Range(1u, 1000u));
    app.add_option("--view", view_name, "the view to start on (or print with --once): overview, as, talkers, "
                                        "exporters, errors");
    app.add_flag("--once", once, "print one plain-text snapshot to stdout and exit");
    endpoint where;
    view_id first = view_id::overview;
    try {
        app.parse(argc, argv);
        if (!parse_endpoint(target, where)) throw CLI::ValidationError("target", "want HOST:PORT, got " + target);
        if (!view_name.empty() && !view_by_name(view_name, first)) {
            throw CLI::ValidationError("--view", "unknown view " + view_name);
        }
        if (!once && interval == 0) throw CLI::ValidationError("--interval", "0 is only for --once");
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }
    poll_options o;
    o.top_n = top;
    if (once) return print_once(where, o, interval, view_name.empty() ? std::nullopt : std::optional(first));
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
        fmt::print(stderr, "ipfix-stats: not a terminal (use --once for plain text)\n");
        return exit_usage;
    }
    poll_loop loop(where, o, interval);
    return run_terminal_ui(loop, first);
}
