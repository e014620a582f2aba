// ipfix-status: is ipfix-enricher healthy? For people and for scripts (the exit status).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <regex>
#include <thread>

#include "daemon_poll.hpp"
#include "service_probe.hpp"

namespace {

using namespace ipfix::tools;

constexpr int exit_usage = 64;

constexpr const char* manual =
    "\nSYNOPSIS\n"
    "  ipfix-status [HOST:PORT] [--sample S] [--service UNIT] [--log FILE] [--json]\n"
    "\nDESCRIPTION\n"
    "  Reports the state of the systemd service (systemctl show; on a host without systemd, or\n"
    "  without the unit, says \"not under systemd\"), the daemon's uptime, its rates sampled over\n"
    "  --sample seconds (two polls of /api/v1/stats on the stats port, default 127.0.0.1:9999),\n"
    "  drops and malformed input, each collector's health (ok: sent during the sample; idle: nothing\n"
    "  to send; stalled: fed but sent nothing) and recent errors: the last 5 lines that read like\n"
    "  trouble (error, fail, cannot, refused, warning, dropped, ...) among the unit's last 200\n"
    "  journal lines (journalctl -u UNIT), or in --log FILE.\n"
    "\nEXIT STATUS\n"
    "  0  healthy\n"
    "  1  degraded: drops or malformed input rising during the sample, a collector stalled or down\n"
    "  2  down: the service is not active, the stats port does not answer, or the pipeline stopped\n"
    "  64 bad usage\n"
    "\nEXAMPLES\n"
    "  ipfix-status\n"
    "  ipfix-status 127.0.0.1:9999 --sample 5 --json\n"
    "  ipfix-status --log /var/log/ipfix-enricher.log || alert\n";

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ipfix-status - a quick health check of ipfix-enricher: service, uptime, rates, drops, "
                 "collectors, recent errors; the exit status says healthy (0), degraded (1) or down (2)."};
    app.name("ipfix-status");
    app.footer(manual);
    std::string target = "127.0.0.1:9999";
    std::string unit = "ipfix-enricher";
    std::string log_file;
    double sample = 1.0;
    bool as_json = false;
    app.add_option("target", target, "the daemon's stats port, HOST:PORT (default 127.0.0.1:9999)")
        ->type_name("HOST:PORT");
    app.add_option("-s,--sample", sample, "seconds between the two polls the rates come from (default 1; 0: "
                                          "one poll, no rates)")
        ->check(CLI::Range(0.0, 600.0));
    app.add_option("--service", unit, "the systemd unit (default ipfix-enricher)");
    app.add_option("--log", log_file, "read recent errors from this log file (instead of the journal)")
        ->type_name("FILE");
    app.add_flag("--json", as_json, "print the report as JSON");
    endpoint where;
    try {
        app.parse(argc, argv);
        if (!parse_endpoint(target, where)) throw CLI::ValidationError("target", "want HOST:PORT, got " + target);
        if (!std::regex_match(unit, std::regex("[A-Za-z0-9@._:-]+"))) {
            throw CLI::ValidationError("--service", "not a unit name: " + unit);
        }
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : exit_usage;
    }

    status_inputs in;
    in.service = probe_service(unit);
    in.stats_port = where.text();
    poll_options o;
    o.details = false;
    daemon_poll first = poll_daemon(where, o);
    if (!first.reachable || !first.stats.value) {
        in.unreachable = first.reachable ? first.stats.missing : first.error;
    } else {
        in.first = std::move(first.stats.value);
        if (sample > 0) {
            std::this_thread::sleep_for(std::chrono::duration<double>(sample));
            daemon_poll second = poll_daemon(where, o);
            if (!second.reachable || !second.stats.value) {
                in.unreachable = second.reachable ? second.stats.missing : second.error;
            } else {
                in.second = std::move(second.stats.value);
                in.sample_seconds = second.at_seconds - first.at_seconds;
            }
        } else {
            in.second = std::move(in.first);
            in.first.reset();
        }
    }
    if (!log_file.empty()) {
        try {
            in.recent_errors = log_file_errors(log_file, 5);
            in.recent_errors_source = log_file;
        } catch (const std::exception& e) {
            in.recent_errors = {std::string("cannot read the log: ") + e.what()};
            in.recent_errors_source = log_file;
        }
    } else if (in.service.systemd) {
        in.recent_errors = journal_errors(unit, 5);
        in.recent_errors_source = "journal";
    }
    const status_report r = evaluate(std::move(in));
    fmt::print("{}", as_json ? render_status_json(r) : render_status_text(r));
    return static_cast<int>(r.verdict);
}
