// ipfix-enricher: the flow proxy. Runs the live pipeline (default), captures through the same
// stages (--offline), or validates a configuration (--check-config).
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "ipfix/config/config.hpp"
#include "ipfix/log/leveled_log.hpp"
#include "ipfix/store/template_listing.hpp"
#include "live.hpp"
#include "offline.hpp"

namespace {

constexpr const char* default_config = "/etc/ipfix-enricher/ipfix-enricher.yaml";

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ipfix-enricher: fills in the AS numbers of NetFlow v5/v9 and IPFIX records and "
                 "forwards them to collectors"};
    std::string config_path = default_config;
    bool check_only = false;
    bool list_templates = false;
    ipfix::daemon::offline_options offline;
    app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
    app.add_flag("--check-config", check_only, "validate the configuration and exit (status 2 when invalid)");
    app.add_flag("--list-templates", list_templates, "print the templates the store holds and exit");
    auto* in = app.add_option("--offline", offline.input, "run the export packets of this capture through the pipeline");
    auto* out = app.add_option("--write", offline.output, "with --offline: the capture to write the output to");
    app.add_option("--port", offline.extra_ports, "with --offline: also take UDP to this port (repeatable)");
    in->needs(out);
    out->needs(in);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    ipfix::config::daemon_config config;
    try {
        config = ipfix::config::load_file(config_path);
    } catch (const ipfix::config::config_error& e) {
        std::cerr << "ipfix-enricher: " << e.what() << "\n";
        return 2;
    }
    if (check_only) {
        std::cout << config_path << ": ok\n";
        return 0;
    }
    if (list_templates) return ipfix::store::list_templates(config, std::cout, std::cerr);
    // general.log_level (validated by the config reader) governs the live daemon's messages.
    const auto threshold = ipfix::log::parse_level(config.general.log_level).value_or(ipfix::log::level::info);
    ipfix::log::leveled_buf leveled(*std::cerr.rdbuf(), threshold, ipfix::log::stderr_is_journal());
    std::ostream log(&leveled);
    if (!offline.input.empty()) return ipfix::daemon::run_offline(config, offline, std::cerr);
    return ipfix::daemon::run_live(config, log);
}
