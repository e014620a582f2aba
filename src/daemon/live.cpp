#include "live.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <span>
#include <sstream>
#include <system_error>
#include <vector>

#include "ipfix/enrich/as_database.hpp"
#include "ipfix/enrich/table_loader.hpp"
#include "ipfix/log/leveled_log.hpp"
#include "ipfix/pipeline/dpdk_env.hpp"
#include "ipfix/pipeline/live_pipeline.hpp"
#include "ipfix/pipeline/record_tap.hpp"
#include "ipfix/stats/from_config.hpp"
#include "ipfix/store/retention_store.hpp"
#include "ipfix/store/stream_state_sync.hpp"
#include "ipfix/store/tcp_forwarder.hpp"
#include "ipfix/store/template_sync.hpp"

namespace ipfix::daemon {
namespace {

std::vector<std::string> database_paths(const config::enrichment_config& e) {
    std::vector<std::string> paths;
    if (!e.asn_database.empty()) paths.push_back(e.asn_database);
    if (!e.country_database.empty()) paths.push_back(e.country_database);
    return paths;
}

std::string summary(const pipeline::live_stats& s) {
    std::ostringstream o;
    o << "received " << s.io.rx_datagrams << " datagrams (" << s.io.rx_bytes << " bytes, " << s.io.rx_truncated
      << " truncated, " << s.kernel_drops << " dropped by the kernel, " << s.io.ring_full << " at full rings, "
      << s.io.pool_empty << " bursts without mbufs); records " << s.decode.records << ", malformed "
      << s.decode.malformed_total() << ", sequence gaps " << s.decode.sequence_gaps << "; enrich: lookups "
      << s.enrich.lookups << ", filled " << s.enrich.filled << ", overridden " << s.enrich.overridden << ", not found "
      << s.enrich.not_found << "; sent " << s.io.tx_datagrams << " datagrams (" << s.io.tx_bytes << " bytes), "
      << s.io.tx_dropped << " dropped";
    for (size_t i = 0; i < s.collectors.size(); ++i) {
        o << "; collector " << i << ": " << s.collectors[i].messages_out << " messages, " << s.collectors[i].records_out
          << " records";
    }
    if (s.io.rx_frames) {
        o << "; ports: " << s.io.rx_frames << " frames, dropped " << s.io.drop_not_for_us << " not for us, "
          << s.io.drop_not_ip << " not IP, " << s.io.drop_not_udp << " not UDP, " << s.io.drop_wrong_port
          << " wrong port, " << s.io.drop_fragment << " fragments, " << s.io.drop_bad_checksum << " bad checksum, "
          << s.io.drop_malformed << " malformed; ARP/ND: " << s.io.arp_replies_sent << " replies sent, "
          << s.io.arp_requests_sent << " requests sent, " << s.io.neighbour_updates << " answers received, "
          << s.backend.neighbours_resolved << " neighbours resolved, " << s.io.tx_unresolved << " unresolved drops";
        if (s.io.exception_out || s.io.exception_in)
            o << "; exception interface: " << s.io.exception_out << " frames to it, " << s.io.exception_in << " from it";
    }
    return o.str();
}

// What a reload cannot apply to the running pipeline (sockets, lcores, output templates).
std::vector<std::string> needs_restart(const config::daemon_config& a, const config::daemon_config& b) {
    std::vector<std::string> out;
    if (a.general.listen_address != b.general.listen_address || a.general.listen_port != b.general.listen_port)
        out.push_back("general.listen_*");
    if (a.general.stats_address != b.general.stats_address || a.general.stats_port != b.general.stats_port ||
        a.general.stats_max_connections != b.general.stats_max_connections ||
        a.general.stats_idle_timeout_seconds != b.general.stats_idle_timeout_seconds ||
        a.general.stats_token != b.general.stats_token)
        out.push_back("general.stats_*");
    bool collectors = a.forwarding.collectors.size() != b.forwarding.collectors.size();
    for (size_t i = 0; !collectors && i < a.forwarding.collectors.size(); ++i) {
        const auto& x = a.forwarding.collectors[i];
        const auto& y = b.forwarding.collectors[i];
        // The MTU is not among them: a reload applies it (see reload_mtus).
        collectors = x.address != y.address || x.port != y.port || x.version != y.version ||
                     x.source_address != y.source_address || x.transport != y.transport ||
                     x.spool_max_bytes != y.spool_max_bytes;
    }
    if (collectors) out.push_back("forwarding.collectors");
    if (a.forwarding.template_refresh_seconds != b.forwarding.template_refresh_seconds ||
        a.forwarding.template_refresh_packets != b.forwarding.template_refresh_packets ||
        a.forwarding.forward_unknown != b.forwarding.forward_unknown)
        out.push_back("forwarding (templates, unknown data)");
    if (a.performance.workers != b.performance.workers || a.performance.queue_size != b.performance.queue_size ||
        a.performance.buffer_size != b.performance.buffer_size)
        out.push_back("performance");
    if (a.io.layout != b.io.layout || a.io.burst != b.io.burst || a.io.eal_args != b.io.eal_args ||
        a.io.backend != b.io.backend || a.io.dpdk != b.io.dpdk)
        out.push_back("io");
    const auto& e = a.enrichment;
    const auto& f = b.enrichment;
    if (e.enabled != f.enabled || e.source != f.source || e.destination != f.destination ||
        e.bad_as.ranges != f.bad_as.ranges || e.names_pen != f.names_pen || e.original_exporter != f.original_exporter ||
        e.exporters.size() != f.exporters.size())
        out.push_back("enrichment policy");
    if (a.templates.lifetime_seconds != b.templates.lifetime_seconds ||
        a.templates.max_streams != b.templates.max_streams || a.templates.max_templates != b.templates.max_templates)
        out.push_back("templates");
    if (a.store.enabled != b.store.enabled || a.store.path != b.store.path) out.push_back("store");
    const auto& r = a.store.retention;
    const auto& q = b.store.retention;
    if (r.enabled != q.enabled || r.max_age_seconds != q.max_age_seconds || r.max_bytes != q.max_bytes)
        out.push_back("store.retention");
    return out;
}

void log_mtus(std::ostream& log, const char* prefix, const std::vector<pipeline::mtu_choice>& mtus) {
    for (const pipeline::mtu_choice& m : mtus) {
        if (m.warning) log << log::warning;
        log << prefix << m.note << "\n";
    }
}

// The collectors' MTUs asked again (a route may have changed).
void reload_mtus(const std::vector<config::collector_config>& collectors, pipeline::live_pipeline& pipe,
                 std::ostream& log) {
    log_mtus(log, "ipfix-enricher: reload: ", pipe.update_mtus(collectors));
}

void reload(const config::daemon_config& running, enrich::as_database* db, pipeline::live_pipeline& pipe,
            std::ostream& log) {
    config::daemon_config next;
    try {
        next = config::load_file(running.path);
    } catch (const config::config_error& e) {
        log << log::error << "ipfix-enricher: reload refused, the running configuration stays: " << e.what() << "\n";
        reload_mtus(running.forwarding.collectors, pipe, log);
        return;
    }
    // The new level first, so that it already governs what this reload says.
    if (const auto level = log::parse_level(next.general.log_level)) log::set_threshold(log, *level);
    const std::vector<std::string> restart = needs_restart(running, next);
    for (const std::string& what : restart) {
        log << log::warning << "ipfix-enricher: reload: " << what << " changed; takes effect after a restart\n";
    }
    // The reloaded file's `mtu` settings apply when its collectors are otherwise the running ones.
    const bool same_collectors = std::ranges::find(restart, "forwarding.collectors") == restart.end();
    reload_mtus(same_collectors ? next.forwarding.collectors : running.forwarding.collectors, pipe, log);
    if (db == nullptr) return;
    // The database paths of the file as it is now: the usual reason for a reload is new data.
    const std::vector<std::string> paths = database_paths(next.enrichment);
    try {
        db->reload(paths);
        const auto t = db->snapshot();
        log << "ipfix-enricher: reload: AS databases loaded (" << t->stats().attributes << " rows, "
            << (t->stats().memory_bytes >> 20) << " MiB)\n";
    } catch (const std::exception& e) {
        log << log::error << "ipfix-enricher: reload: the AS databases could not be loaded, the previous ones stay: " << e.what()
            << "\n";
    }
}

}  // namespace

int run_live(const config::daemon_config& config, std::ostream& log) {
    // Signals go to this (control) thread only: blocked before the EAL starts its lcore
    // threads, which inherit the mask, then read from a signalfd beside the taps' bell.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    const int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) {
        log << log::error << "ipfix-enricher: signalfd: " << std::strerror(errno) << "\n";
        return 1;
    }
    struct fd_closer {
        int fd;
        ~fd_closer() { ::close(fd); }
    } const close_signal_fd{signal_fd};
    // Rung by a worker's record tap passing half full, so the records are drained before it
    // overflows rather than on the next tick.
    std::unique_ptr<pipeline::tap_bell> bell;
    try {
        bell = std::make_unique<pipeline::tap_bell>();
    } catch (const std::system_error& e) {
        log << log::error << "ipfix-enricher: " << e.what() << "\n";
        return 1;
    }

    std::unique_ptr<enrich::as_database> db;
    if (config.enrichment.enabled) {
        try {
            db = std::make_unique<enrich::as_database>(enrich::load_table(database_paths(config.enrichment)));
        } catch (const std::exception& e) {
            log << log::error << "ipfix-enricher: cannot load the AS databases: " << e.what() << "\n";
            return 2;
        }
    }

    std::string error;
    const uint32_t mbufs = std::max<uint32_t>(8192, config.performance.workers * config.performance.queue_size * 2);
    auto env = pipeline::dpdk_env::start(config.io.eal_args, mbufs, error);
    if (!env) {
        log << log::error << "ipfix-enricher: " << error << "\n";
        return 1;
    }
    // Made before the pipeline: the workers push into its queues until they stop.
    const auto stored_templates = store::template_sync::open(config, log);
    // TCP collectors' senders, each on its own thread, spooling in the store when it is on.
    const auto forwarders = store::make_forwarders(config, stored_templates ? &stored_templates->store() : nullptr, log);
    // Beside the template store, and only with it (never inside a directory it refused).
    const auto retained = stored_templates ? store::retention_store::open_configured(config, log) : nullptr;
    pipeline::live_pipeline pipe(config, db.get(), *env);
    pipe.divert([&](size_t worker) { return store::queues_for(forwarders, worker); });
    pipe.report_links([&] { return store::health_of(forwarders); });
    // Output domains and sequence numbers: one registry for every worker, kept by the store.
    mediate::stream_registry stream_states(config.forwarding.collectors.size(),
                                           std::max<size_t>(2 * size_t{config.templates.max_streams}, 1024));
    const auto stored_streams = stored_templates ? store::stream_state_sync::open(stored_templates->store(), config,
                                                                                 stream_states,
                                                                                 store::template_sync::wall_clock_ms(), log)
                                                 : nullptr;
    pipe.on_worker_ready([&](size_t i, pipeline::flow_worker& w) {
        w.share_stream_state(&stream_states);
        if (w.tap() != nullptr) w.tap()->ring_at_half(bell.get());
        if (stored_templates) stored_templates->attach(i, w);
    });
    // The stats port binds before the pipeline starts: a port in use (most often a second
    // instance) stops the daemon before it forwards anything, rather than running unwatched.
    std::unique_ptr<stats::stats_server> stats_port;
    if (stats::stats_enabled(config.general)) {
        stats::stats_source source;
        source.snapshot = [&] {
            auto s = pipe.stats();
            if (stored_templates) stored_templates->report(s.store);
            store::report(forwarders, s.store);
            if (retained) retained->report(s.store);
            return s;
        };
        source.running = [&pipe] { return pipe.running(); };
        source.collectors = stats::collector_names(config.forwarding);
        stats_port = std::make_unique<stats::stats_server>(stats::server_options(config.general), std::move(source));
        if (!stats_port->open(error)) {
            log << log::error << "ipfix-enricher: " << error << "\n";
            return 1;
        }
    }
    if (stats_port) stats_port->serve_traffic(stats::traffic_from(config, db.get(), [&pipe] { return pipe.tallies(); }));
    // since= on the tail reads the retention store.
    if (stats_port && retained) stats_port->serve_history(retained->query_since());
    for (const auto& f : forwarders) {
        if (f) f->start();
    }
    if (!pipe.start(error)) {
        log << log::error << "ipfix-enricher: " << error << "\n";
        return 1;
    }
    log << "ipfix-enricher: listening on " << pipe.describe() << " ("
        << config.performance.workers << " worker" << (config.performance.workers == 1 ? "" : "s") << ", "
        << (config.io.layout == config::pipeline_layout::fused ? "fused" : "split") << " layout), forwarding to "
        << config.forwarding.collectors.size() << " collector(s)\n";
    log_mtus(log, "ipfix-enricher: ", pipe.mtus());
    if (stats_port) {
        stats_port->start();
        log << "ipfix-enricher: stats port on " << stats::endpoint_text(config.general.stats_address, stats_port->port())
            << " (telnet and HTTP)\n";
    }
    log.flush();
    sd_notify(0, "READY=1\nSTATUS=forwarding");

    // Enriched records for the tail stream and the retention store: each adds a consumer.
    pipeline::record_feed records;
    const std::vector<pipeline::record_tap*> taps = pipe.taps();
    if (stats_port) {
        // The tail stream: the taps run while a client follows it.
        stats::tail_hub& tail = stats_port->tail();
        records.add({[&tail] { return tail.wants(); },
                     [&tail](std::span<const pipeline::flow_summary> batch) { tail.take(batch); }});
    }
    if (retained) {
        // Whole datagrams: the store encodes their records without summaries.
        records.add({[] { return true; }, {}, [&](const pipeline::tapped_datagram& d) { retained->add(d); }});
    }
    // Records are drained when a tap passes half full (at full rate a tap holds some 15 ms of a
    // worker's records) and at least every tenth of a second; the rest of the housekeeping runs
    // once a second.
    using control_clock = std::chrono::steady_clock;
    auto next_second = control_clock::now();
    for (;;) {
        pollfd waits[2] = {{signal_fd, POLLIN, 0}, {bell->fd(), POLLIN, 0}};
        (void)poll(waits, 2, 100);
        int sig = 0;
        if (waits[0].revents & POLLIN) {
            signalfd_siginfo info{};
            if (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) sig = static_cast<int>(info.ssi_signo);
        }
        if (sig == SIGTERM || sig == SIGINT) break;
        bell->answer();  // before the drain: a tap passing half full during it rings again
        if (sig == SIGHUP) {
            sd_notify(0, "RELOADING=1");
            reload(config, db.get(), pipe, log);
            sd_notify(0, "READY=1");
        }
        records.poll(taps);
        if (retained) retained->tick(store::template_sync::wall_clock_ms(), log);
        if (control_clock::now() < next_second) continue;
        next_second = control_clock::now() + std::chrono::seconds(1);
        sd_notify(0, "WATCHDOG=1");
        if (db) db->reclaim();
        if (stored_templates) stored_templates->tick(log);
        if (stored_streams) stored_streams->tick(log);
        for (const auto& f : forwarders) {
            if (f) f->report_faults(log);
        }
    }
    sd_notify(0, "STOPPING=1");
    log << "ipfix-enricher: stopping: draining and flushing\n";
    if (stats_port) stats_port->stop();
    pipe.stop();
    for (const auto& f : forwarders) {
        if (f) f->stop();  // what the workers left: written, or spooled for the next run
    }
    for (size_t i = 0; i < forwarders.size(); ++i) {
        if (!forwarders[i]) continue;
        forwarders[i]->report_faults(log);  // a spool failure of the last second is never silent
        log << "ipfix-enricher: collector " << i << " (tcp): " << store::summary(forwarders[i]->health()) << "\n";
    }
    records.poll(taps);  // what the workers pushed before they stopped
    if (retained) retained->flush(log);
    if (stored_templates) stored_templates->tick(log);
    if (stored_streams) stored_streams->tick(log);
    log << "ipfix-enricher: " << summary(pipe.stats()) << "\n";
    return 0;
}

}  // namespace ipfix::daemon
