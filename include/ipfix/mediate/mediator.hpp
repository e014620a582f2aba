// Re-encodes decoded messages for one collector: output template = input template + added
// fields, records copied with the values filled in, per-stream sequence numbers, templates sent
// before first use, on change and on a refresh interval, messages split at the payload limit.
// NetFlow v5 kept as v5 is rewritten in place. One mediator per collector and worker thread.
//
// With `pack`, the output of consecutive input messages of a stream shares output messages
// until they are full or flush() is called (a receive burst's end): the added fields make each
// record longer, and without packing most full input messages would leave as two datagrams.
//
//   mediate::mediator m({.output = mediate::output_version::ipfix});
//   m.mediate(decoded, payload, values, added, now_ms, sink);   // sink.emit(datagram) per output
//   m.flush(sink);                                              // with pack: what is still open
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "ipfix/mediate/added_fields.hpp"
#include "ipfix/mediate/output_template.hpp"
#include "ipfix/mediate/stream_registry.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/message_writer.hpp"

namespace ipfix::mediate {

enum class output_version : uint8_t { same_as_input, ipfix };

struct mediator_config {
    output_version output = output_version::same_as_input;
    size_t max_payload = 1472;                 // MTU 1500 less IPv4 and UDP headers
    uint64_t template_refresh_ms = 60'000;     // RFC 7011 §8.4; 0: never by time
    uint32_t template_refresh_packets = 0;     // 0: never by count
    bool forward_unknown = true;               // data sets without a template: forward or drop
    // Give each input stream its own observation domain at the collector (needed when many
    // exporters reach it from our one address); off when the exporter's address is kept.
    bool unique_domains = true;
    // Pack records of consecutive messages of a stream into shared output messages (see above).
    // The caller must then call flush() at the end of each burst.
    bool pack = false;
};

struct mediate_counters {
    uint64_t messages_in = 0;
    uint64_t messages_out = 0;
    uint64_t bytes_out = 0;
    uint64_t records_out = 0;
    uint64_t templates_sent = 0;
    uint64_t withdrawals_sent = 0;
    uint64_t unknown_sets_forwarded = 0;
    uint64_t unknown_sets_dropped = 0;
    uint64_t records_too_big = 0;   // an output record over the payload limit (dropped)
    uint64_t unshared_streams = 0;  // streams the full stream registry could not take

    mediate_counters& operator+=(const mediate_counters& o) {
        messages_in += o.messages_in;
        messages_out += o.messages_out;
        bytes_out += o.bytes_out;
        records_out += o.records_out;
        templates_sent += o.templates_sent;
        withdrawals_sent += o.withdrawals_sent;
        unknown_sets_forwarded += o.unknown_sets_forwarded;
        unknown_sets_dropped += o.unknown_sets_dropped;
        records_too_big += o.records_too_big;
        unshared_streams += o.unshared_streams;
        return *this;
    }
};

class datagram_sink {
public:
    virtual ~datagram_sink() = default;
    // One output datagram payload; the bytes are valid only during the call.
    virtual void emit(std::span<const uint8_t> datagram) = 0;
};

class mediator {
public:
    explicit mediator(mediator_config config = {});

    // `values` holds one entry per record of `msg` (same order); `original` is the datagram
    // `msg` was decoded from.
    void mediate(const proto::decoded_message& msg, std::span<const uint8_t> original,
                 std::span<const record_values> values, const added_fields& add, uint64_t now_ms,
                 datagram_sink& sink);

    // Sends every output message still open (pack only; a no-op otherwise).
    void flush(datagram_sink& sink);

    // Messages are split at `bytes` from now on (a collector's MTU changed on reload): what is
    // open goes out first, at the old size.
    void set_max_payload(size_t bytes, datagram_sink& sink);
    size_t max_payload() const { return config_.max_payload; }

    // Output domains and sequence numbers come from, and go to, `r` (slot `collector`) from now
    // on: shared with the other workers' mediators and kept across restarts. Null: this
    // mediator's own (offline). Set before the first message; `r` must outlive the mediator.
    void share_state(stream_registry* r, size_t collector) {
        registry_ = r;
        registry_slot_ = collector;
    }

    const mediate_counters& counters() const { return counters_; }
    size_t stream_count() const { return streams_.size(); }

private:
    struct template_state {
        output_template tmpl;
        std::vector<uint8_t> input_wire;
        added_fields add;
        bool sent = false;
        uint64_t last_sent_ms = 0;
        uint64_t packets_at_send = 0;
    };
    // The output message a stream is filling, and the header times it was begun with: only
    // input messages with the same times may join it, as records may carry times relative to
    // them (v9 sysUpTime, IPFIX delta times against the export time).
    struct open_message {
        std::vector<uint8_t> buffer;  // max_payload bytes, for the stream's lifetime
        std::optional<proto::message_writer> w;
        proto::protocol_version version{};
        uint32_t export_time = 0;
        uint32_t export_nsecs = 0;
        uint32_t sys_uptime_ms = 0;
        bool begun = false;            // w holds a message begun with the times above
        bool listed = false;           // in mediator::open_
    };
    struct out_stream {
        uint32_t domain = 0;
        uint32_t sequence = 0;   // IPFIX: data records sent; v9: packets sent
        uint64_t packets = 0;
        stream_registry::entry* shared = nullptr;  // where the sequence is published
        std::unordered_map<uint16_t, template_state> templates;
        open_message open;
    };
    struct message_context;

    out_stream& stream_for(const proto::stream_key& key);
    template_state& template_for(out_stream& s, const proto::template_def& in, proto::protocol_version out,
                                 const added_fields& add, const proto::ip_address& exporter);
    bool refresh_due(const template_state& t, const out_stream& s, uint64_t now_ms) const;
    void emit(out_stream& s, datagram_sink& sink);
    void rewrite_v5(const proto::decoded_message& msg, std::span<const uint8_t> original,
                    std::span<const record_values> values, datagram_sink& sink);

    mediator_config config_;
    mediate_counters counters_;
    std::unordered_map<proto::stream_key, out_stream, proto::stream_key_hash> streams_;
    std::unordered_map<uint32_t, uint32_t> domains_in_use_;  // output domain -> streams using it
    std::vector<uint8_t> buffer_;
    std::vector<out_stream*> open_;  // streams with an output message not yet sent (pack)
    stream_registry* registry_ = nullptr;
    size_t registry_slot_ = 0;
};

}  // namespace ipfix::mediate
