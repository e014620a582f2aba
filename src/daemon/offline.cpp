#include "offline.hpp"

#include <algorithm>
#include <exception>

#include "ipfix/enrich/as_database.hpp"
#include "ipfix/io/capture_reader.hpp"
#include "ipfix/io/frame_parser.hpp"
#include "ipfix/io/pcap_writer.hpp"
#include "ipfix/pipeline/flow_worker.hpp"
#include "ipfix/proto/decode_counters.hpp"

namespace ipfix::daemon {
namespace {

constexpr uint16_t well_known_ports[] = {2055, 4739, 9995, 9996};

// Writes each output datagram to the capture, from our address (or the exporter's, where the
// collector keeps it) to the collector.
class capture_sink : public pipeline::output_sink {
public:
    capture_sink(const config::daemon_config& c, io::pcap_writer& w) : config_(c), writer_(w) {}

    void set_input(const io::udp_datagram& d, uint64_t time_us) {
        input_ = &d;
        time_us_ = time_us;
    }

    void emit(size_t collector, std::span<const uint8_t> datagram) override {
        const config::collector_config& col = config_.forwarding.collectors[collector];
        const proto::exporter_endpoint to{col.address, col.port};
        proto::exporter_endpoint from{own_address(col.address.family), config_.general.listen_port};
        if (col.source_address == config::source_address_mode::exporter &&
            input_->source.address.family == col.address.family) {
            from = input_->source;
        }
        if (!writer_.write_udp(time_us_, from, to, datagram)) ++failed_;
    }

    uint64_t failed() const { return failed_; }

private:
    // The address the exporter sent to is ours; when the collector is of the other family, or
    // the daemon listens on a specific address, that one is.
    proto::ip_address own_address(uint8_t family) const {
        if (auto listen = proto::ip_address::parse(config_.general.listen_address);
            listen && listen->family == family && listen->bytes != proto::ip_address{}.bytes) {
            return *listen;
        }
        if (input_->destination.family == family) return input_->destination;
        return *proto::ip_address::parse(family == 4 ? "127.0.0.1" : "::1");
    }

    const config::daemon_config& config_;
    io::pcap_writer& writer_;
    const io::udp_datagram* input_ = nullptr;
    uint64_t time_us_ = 0;
    uint64_t failed_ = 0;
};

void print_summary(std::ostream& out, const pipeline::flow_worker& w, uint64_t frames, uint64_t skipped,
                   uint64_t written) {
    const proto::decode_counters& d = w.decode_counters();
    const pipeline::enrich_counters& e = w.enrichment_counters();
    out << "frames read: " << frames << ", skipped: " << skipped << "\n"
        << "datagrams: " << w.counters().datagrams << ", undecodable: " << w.counters().undecodable << "\n"
        << "records: " << d.records << " (options " << d.options_records << "), templates learned: "
        << d.templates_learned << "\n"
        << "sequence gaps: " << d.sequence_gaps << " (lost " << d.sequence_lost << "), reordered: "
        << d.sequence_reordered << "\n";
    for (size_t i = 0; i < proto::malformed_count; ++i) {
        const auto m = static_cast<proto::malformed>(i);
        if (d[m]) out << "malformed " << proto::to_string(m) << ": " << d[m] << "\n";
    }
    out << "enrich: lookups " << e.lookups << ", filled " << e.filled << ", overridden " << e.overridden
        << ", kept " << e.kept << ", not found " << e.not_found << ", no address " << e.no_address << "\n";
    for (size_t i = 0; i < w.collector_count(); ++i) {
        const mediate::mediate_counters& m = w.mediate_counters(i);
        out << "collector " << i << ": datagrams " << m.messages_out << ", records " << m.records_out
            << ", templates " << m.templates_sent << ", unknown sets forwarded " << m.unknown_sets_forwarded
            << ", dropped " << m.unknown_sets_dropped << ", records too big " << m.records_too_big << "\n";
    }
    out << "frames written: " << written << "\n";
}

}  // namespace

int run_offline(const config::daemon_config& config, const offline_options& options, std::ostream& report) {
    enrich::as_database db;
    if (config.enrichment.enabled) {
        std::vector<std::string> paths;
        for (const std::string& p : {config.enrichment.asn_database, config.enrichment.country_database}) {
            if (!p.empty()) paths.push_back(p);
        }
        try {
            db.reload(paths);
        } catch (const std::exception& e) {
            report << "ipfix-enricher: " << e.what() << "\n";
            return 2;
        }
    }
    io::capture_reader in;
    if (!in.open(options.input)) {
        report << "ipfix-enricher: " << options.input << ": " << in.error() << "\n";
        return 2;
    }
    io::pcap_writer out;
    if (!out.open(options.output)) {
        report << "ipfix-enricher: " << options.output << ": " << out.error() << "\n";
        return 2;
    }
    std::vector<uint16_t> ports(std::begin(well_known_ports), std::end(well_known_ports));
    ports.push_back(config.general.listen_port);
    ports.insert(ports.end(), options.extra_ports.begin(), options.extra_ports.end());

    pipeline::flow_worker worker(config, &db);
    capture_sink sink(config, out);
    uint64_t frames = 0, skipped = 0;
    while (const io::captured_frame* f = in.next()) {
        ++frames;
        const io::parse_result r = io::parse_frame(in.link_type(), f->bytes, f->wire_length);
        if (!r.ok || r.datagram.first_fragment ||
            std::find(ports.begin(), ports.end(), r.datagram.destination_port) == ports.end()) {
            ++skipped;
            continue;
        }
        sink.set_input(r.datagram, f->time_us);
        worker.process(r.datagram.source, r.datagram.payload, f->time_us / 1000, sink);
    }
    const bool read_error = !in.error().empty();
    if (read_error) report << "ipfix-enricher: " << options.input << ": " << in.error() << "\n";
    out.close();
    print_summary(report, worker, frames, skipped, out.frames());
    return read_error || sink.failed() ? 1 : 0;
}

}  // namespace ipfix::daemon
