// One worker's decode -> enrich -> mediate stages, as plain functions over datagrams: the
// daemon's lcore loops and the offline mode (--offline) both run exactly this. Owns the
// decoder (templates, sequence numbers) of the exporters hashed to it and one mediator per
// collector; not thread-safe (one per worker core).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/enrich/as_database.hpp"
#include "ipfix/mediate/mediator.hpp"
#include "ipfix/pipeline/enrich_stage.hpp"
#include "ipfix/pipeline/record_tap.hpp"
#include "ipfix/pipeline/template_changes.hpp"
#include "ipfix/pipeline/traffic_tally.hpp"
#include "ipfix/proto/decoder.hpp"

namespace ipfix::pipeline {

class output_sink {
public:
    virtual ~output_sink() = default;
    // One datagram for collector number `collector` (index into the config's collectors).
    virtual void emit(size_t collector, std::span<const uint8_t> datagram) = 0;
};

// The decoder a worker runs for `config` (template lifetime and bounds).
proto::decoder_config decoder_settings(const config::daemon_config& config);

struct worker_counters {
    uint64_t datagrams = 0;
    uint64_t undecodable = 0;   // header unusable: nothing forwarded
};

class flow_worker {
public:
    // `db` may be null when enrichment is off; it must outlive the worker.
    // With `batched` output, records of consecutive datagrams of a stream share output datagrams
    // (mediator_config::pack) until flush(), which the caller runs at the end of each burst;
    // otherwise each datagram's output is complete when process() returns. Collectors that keep
    // the exporter's address are never packed: their datagrams are sent as from the exporter of
    // the datagram being processed.
    // `mtus`: each collector's MTU as resolved for `mtu: auto` (live_pipeline asks the backend);
    // empty, or 0 for a collector: its configured number, or config::fallback_mtu for auto.
    flow_worker(const config::daemon_config& config, const enrich::as_database* db, bool batched = false,
                std::span<const uint16_t> mtus = {});

    // Runs one export datagram from `from` through every stage; output goes to `sink`.
    void process(const proto::exporter_endpoint& from, std::span<const uint8_t> payload, uint64_t now_ms,
                 output_sink& sink);
    // Sends what batched output still holds and shows the tap's consumer what was pushed: the
    // end of each burst.
    void flush(output_sink& sink);
    // Collector `collector`'s output is split at `mtu` from now on; what is open goes first.
    void set_mtu(size_t collector, uint16_t mtu, output_sink& sink);
    uint16_t mtu(size_t collector) const { return collectors_[collector].mtu; }

    const proto::decode_counters& decode_counters() const { return decoder_.counters(); }
    const enrich_counters& enrichment_counters() const { return enrich_counters_; }
    const mediate::mediate_counters& mediate_counters(size_t collector) const {
        return collectors_[collector].mediator.counters();
    }
    const worker_counters& counters() const { return counters_; }
    size_t collector_count() const { return collectors_.size(); }
    proto::decoder& decoder() { return decoder_; }
    // Template changes are pushed to `q` from now on (null: not at all); `q` must outlive the
    // worker. Set before the worker runs.
    void report_template_changes(template_change_queue* q) { changes_ = q; }
    // Every datagram is counted into `t` from now on (null: not at all); `t` must outlive the
    // worker and belong to its thread (see traffic_tally.hpp for how it is read).
    void tally_traffic(traffic_tally* t) { tally_ = t; }
    // Data records, once enriched, are pushed to `t` while it is listening (null: never); `t`
    // must outlive the worker. Set before the worker runs.
    void tap_records(record_tap* t) { tap_ = t; }
    // Every collector's mediator takes output domains and sequence numbers from `r` (see
    // stream_registry.hpp), shared with the other workers; `r` must outlive the worker and have
    // a slot per collector. Set before the worker runs.
    void share_stream_state(mediate::stream_registry* r) {
        for (size_t i = 0; i < collectors_.size(); ++i) collectors_[i].mediator.share_state(r, i);
    }
    record_tap* tap() const { return tap_; }

private:
    struct collector_state {
        mediate::mediator mediator;
        bool keeps_exporter_address;
        uint16_t mtu;
    };
    struct collector_sink;
    void pass_template_changes(uint64_t now_ms);

    const config::daemon_config& config_;
    proto::decoder decoder_;
    std::unique_ptr<enrich::as_database::reader> reader_;
    enrich::prefix_table empty_table_;
    std::vector<collector_state> collectors_;
    proto::decoded_message msg_;
    enrich_scratch scratch_;
    std::vector<mediate::record_values> values_;
    enrich_counters enrich_counters_;
    worker_counters counters_;
    template_change_queue* changes_ = nullptr;
    traffic_tally* tally_ = nullptr;
    record_tap* tap_ = nullptr;
};

}  // namespace ipfix::pipeline
