#include "ipfix/pipeline/flow_worker.hpp"

namespace ipfix::pipeline {

proto::decoder_config decoder_settings(const config::daemon_config& c) {
    proto::decoder_config d;
    d.templates.lifetime_ms = uint64_t{c.templates.lifetime_seconds} * 1000;
    d.templates.max_streams = c.templates.max_streams;
    d.templates.max_templates = c.templates.max_templates;
    return d;
}

namespace {

// The UDP payload that fits an IP packet of `mtu` bytes toward `col`.
size_t payload_room(const config::collector_config& col, uint16_t mtu) {
    return size_t{mtu} - (col.address.family == 6 ? 48u : 28u);
}

mediate::mediator_config mediator_settings(const config::daemon_config& c, const config::collector_config& col,
                                           uint16_t mtu, bool batched) {
    mediate::mediator_config m;
    m.output = col.version == config::output_version::ipfix ? mediate::output_version::ipfix
                                                            : mediate::output_version::same_as_input;
    m.max_payload = payload_room(col, mtu);
    m.template_refresh_ms = uint64_t{c.forwarding.template_refresh_seconds} * 1000;
    m.template_refresh_packets = c.forwarding.template_refresh_packets;
    if (col.transport == config::collector_transport::tcp) {
        // RFC 7011 §8.4: no refresh over TCP; the sender gives each new connection the templates.
        m.template_refresh_ms = 0;
        m.template_refresh_packets = 0;
    }
    m.forward_unknown = c.forwarding.forward_unknown;
    // With the exporter's own address kept, the collector tells exporters apart itself.
    m.unique_domains = col.source_address == config::source_address_mode::own;
    m.pack = batched && col.source_address == config::source_address_mode::own;
    return m;
}

}  // namespace

// Tags the mediator's output with the collector it is for.
struct flow_worker::collector_sink : mediate::datagram_sink {
    output_sink& out;
    size_t index;
    collector_sink(output_sink& o, size_t i) : out(o), index(i) {}
    void emit(std::span<const uint8_t> datagram) override { out.emit(index, datagram); }
};

flow_worker::flow_worker(const config::daemon_config& config, const enrich::as_database* db, bool batched,
                         std::span<const uint16_t> mtus)
    : config_(config), decoder_(decoder_settings(config)) {
    if (db != nullptr && config.enrichment.enabled) reader_ = std::make_unique<enrich::as_database::reader>(*db);
    for (size_t i = 0; i < config.forwarding.collectors.size(); ++i) {
        const config::collector_config& col = config.forwarding.collectors[i];
        uint16_t mtu = i < mtus.size() ? mtus[i] : config::mtu_auto;
        if (mtu == config::mtu_auto) mtu = col.mtu == config::mtu_auto ? config::fallback_mtu : col.mtu;
        collectors_.push_back({mediate::mediator(mediator_settings(config, col, mtu, batched)),
                               col.source_address == config::source_address_mode::exporter, mtu});
    }
}

void flow_worker::set_mtu(size_t collector, uint16_t mtu, output_sink& sink) {
    collector_state& c = collectors_[collector];
    if (c.mtu == mtu) return;
    collector_sink tagged(sink, collector);
    c.mediator.set_max_payload(payload_room(config_.forwarding.collectors[collector], mtu), tagged);
    c.mtu = mtu;
}

void flow_worker::process(const proto::exporter_endpoint& from, std::span<const uint8_t> payload, uint64_t now_ms,
                          output_sink& sink) {
    ++counters_.datagrams;
    if (!decoder_.decode(from, payload, now_ms, msg_)) {
        ++counters_.undecodable;
        if (tally_ != nullptr) {
            tally_->datagram(from, payload.size(), false, msg_, {}, decoder_.counters().sequence_gaps, now_ms);
        }
        return;
    }
    if (changes_ != nullptr && !msg_.template_events.empty()) pass_template_changes(now_ms);
    const config::enrichment_config& e = config_.enrichment;
    const auto [source, destination] = config_.policy_for(from.address);
    const bool enriching = reader_ != nullptr;
    const bool names = enriching && e.names_pen != 0;
    if (enriching) {
        enrich_records(msg_, reader_->current(), {source, destination}, e.bad_as, names, scratch_, values_,
                       enrich_counters_);
    } else {
        values_.assign(msg_.records.size(), mediate::record_values{});
    }
    if (tally_ != nullptr) {
        tally_->datagram(from, payload.size(), true, msg_, values_, decoder_.counters().sequence_gaps, now_ms);
    }
    if (tap_ != nullptr && tap_->listening()) tap_->push(from, payload, now_ms, values_);

    mediate::added_fields add;
    add.source_as = enriching && source != enrich::as_policy::never;
    add.destination_as = enriching && destination != enrich::as_policy::never;
    if (names) {
        add.names_pen = e.names_pen;
        add.source_as_name_id = e.source_as_name_id;
        add.destination_as_name_id = e.destination_as_name_id;
        add.source_country_id = e.source_country_id;
        add.destination_country_id = e.destination_country_id;
    }
    for (size_t i = 0; i < collectors_.size(); ++i) {
        collector_state& c = collectors_[i];
        add.original_exporter = e.original_exporter && !c.keeps_exporter_address;
        collector_sink tagged(sink, i);
        c.mediator.mediate(msg_, payload, values_, add, now_ms, tagged);
    }
}

void flow_worker::flush(output_sink& sink) {
    if (tap_ != nullptr) tap_->publish();
    for (size_t i = 0; i < collectors_.size(); ++i) {
        collector_sink tagged(sink, i);
        collectors_[i].mediator.flush(tagged);
    }
}

// Runs only for messages with template sets. The definition handed over is the cache's current
// one (a shared reference, no copy): when a message defines an id twice, both changes carry the last.
void flow_worker::pass_template_changes(uint64_t now_ms) {
    const proto::stream_key& stream = msg_.stream;
    for (const proto::template_event& e : msg_.template_events) {
        template_change c;
        c.options = e.options;
        c.id = e.id;
        c.stream = stream;
        c.time_ms = now_ms;
        switch (e.kind) {
        case proto::template_event_kind::refreshed:
            if (!changes_->refresh_due(stream, e.id, now_ms)) continue;
            [[fallthrough]];
        case proto::template_event_kind::learned:
        case proto::template_event_kind::redefined:
            c.def = decoder_.templates().share(stream, e.id);
            if (c.def == nullptr) continue;  // withdrawn or evicted later in the same message
            if (e.kind != proto::template_event_kind::refreshed) changes_->defined(stream, e.id, now_ms);
            break;
        case proto::template_event_kind::withdrawn:
            // Ids below 256 are the set ids of an IPFIX "withdraw all" (RFC 7011 §8.1).
            c.kind = e.id < 256 ? template_change_kind::withdrawn_all : template_change_kind::withdrawn;
            break;
        }
        changes_->push(std::move(c));
    }
}

}  // namespace ipfix::pipeline
