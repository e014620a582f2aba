#include "ipfix/mediate/mediator.hpp"

#include <algorithm>
#include <cstring>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::mediate {

using proto::protocol_version;

namespace {

constexpr size_t v5_header_size = 24;
constexpr size_t v5_record_size = 48;

uint64_t system_init_ms(const proto::message_header& h) {
    uint64_t export_ms = uint64_t{h.export_time} * 1000;
    if (h.version == protocol_version::netflow_v5) export_ms += h.export_nsecs / 1'000'000;
    return export_ms - h.sys_uptime_ms;
}

const record_values& value_at(std::span<const record_values> values, size_t i) {
    static const record_values none{};
    return i < values.size() ? values[i] : none;
}

}  // namespace

// One input message's worth of output: the writer of the stream's open message.
struct mediator::message_context {
    mediator& m;
    out_stream& s;
    const proto::message_header& h;
    datagram_sink& sink;
    proto::message_writer& w;
    bool ipfix;  // IPFIX counts data records, v9 packets

    void start() {
        w.begin(h.export_time, s.sequence, s.domain, h.sys_uptime_ms);
        s.open.export_time = h.export_time;
        s.open.export_nsecs = h.export_nsecs;
        s.open.sys_uptime_ms = h.sys_uptime_ms;
        s.open.begun = true;
    }

    void flush() {
        if (w.empty()) return;
        m.emit(s, sink);
        start();
    }

    // Runs `add` on this message, or on a fresh one when this one is full.
    template <class F>
    bool with_room(F&& add) {
        if (add()) return true;
        flush();
        return add();
    }
};

mediator::mediator(mediator_config config) : config_(config) {
    config_.max_payload = std::clamp<size_t>(config_.max_payload, 64, 65507);
    buffer_.resize(std::max(config_.max_payload, v5_header_size + 30 * v5_record_size));
}

void mediator::set_max_payload(size_t bytes, datagram_sink& sink) {
    flush(sink);
    for (auto& [key, s] : streams_) {
        if (s.open.begun && s.open.w && !s.open.w->empty()) emit(s, sink);
        // Each stream's writer is made again, at the new size, by its next message.
        s.open.w.reset();
        s.open.begun = false;
    }
    config_.max_payload = std::clamp<size_t>(bytes, 64, 65507);
    buffer_.resize(std::max(config_.max_payload, v5_header_size + 30 * v5_record_size));
}

mediator::out_stream& mediator::stream_for(const proto::stream_key& key) {
    auto it = streams_.find(key);
    if (it != streams_.end()) return it->second;
    out_stream s;
    s.domain = key.domain;
    if (registry_ != nullptr) s.shared = registry_->acquire(key);
    if (s.shared != nullptr) {
        if (config_.unique_domains) s.domain = s.shared->domain;
        s.sequence = s.shared->sequences[registry_slot_].load(std::memory_order_relaxed);
    } else {
        if (registry_ != nullptr) ++counters_.unshared_streams;
        if (config_.unique_domains) {
            while (domains_in_use_.count(s.domain)) ++s.domain;
        }
        ++domains_in_use_[s.domain];
    }
    return streams_.emplace(key, std::move(s)).first->second;
}

mediator::template_state& mediator::template_for(out_stream& s, const proto::template_def& in,
                                                 protocol_version out, const added_fields& add,
                                                 const proto::ip_address& exporter) {
    const uint16_t id = in.id == 0 ? 256 : in.id;
    template_state& t = s.templates[id];
    const bool same = t.add == add && t.input_wire.size() == in.wire.size() &&
                      std::equal(in.wire.begin(), in.wire.end(), t.input_wire.begin()) &&
                      !t.tmpl.fields.empty();
    if (!same) {
        t.tmpl = make_output_template(in, out, add, exporter);
        t.input_wire = in.wire;
        t.add = add;
        t.sent = false;  // a changed definition goes out before its next record
    }
    return t;
}

bool mediator::refresh_due(const template_state& t, const out_stream& s, uint64_t now_ms) const {
    if (!t.sent) return true;
    if (config_.template_refresh_ms && now_ms >= t.last_sent_ms + config_.template_refresh_ms) return true;
    return config_.template_refresh_packets && s.packets >= t.packets_at_send + config_.template_refresh_packets;
}

void mediator::mediate(const proto::decoded_message& msg, std::span<const uint8_t> original,
                       std::span<const record_values> values, const added_fields& add, uint64_t now_ms,
                       datagram_sink& sink) {
    ++counters_.messages_in;
    const protocol_version in_version = msg.header.version;
    const protocol_version out_version =
        config_.output == output_version::ipfix ? protocol_version::ipfix : in_version;
    if (out_version == protocol_version::netflow_v5) {
        rewrite_v5(msg, original, values, sink);
        return;
    }
    out_stream& s = stream_for(msg.stream);
    if (s.shared != nullptr) s.shared->last_ms.store(now_ms, std::memory_order_relaxed);
    open_message& o = s.open;
    const proto::message_header& h = msg.header;
    if (!o.w || o.version != out_version) {
        if (o.begun && !o.w->empty()) emit(s, sink);
        o.buffer.resize(config_.max_payload);
        o.w.emplace(std::span<uint8_t>(o.buffer), out_version);
        o.version = out_version;
        o.begun = false;
    } else if (o.begun && (o.export_time != h.export_time || o.export_nsecs != h.export_nsecs ||
                           o.sys_uptime_ms != h.sys_uptime_ms)) {
        if (!o.w->empty()) emit(s, sink);
        o.begun = false;
    }
    message_context ctx{*this, s, h, sink, *o.w, out_version == protocol_version::ipfix};
    if (!o.begun) ctx.start();
    const bool ipfix_out = ctx.ipfix;

    for (const proto::template_event& ev : msg.template_events) {
        if (ev.kind != proto::template_event_kind::withdrawn) continue;
        const bool all = ev.id == 2 || ev.id == 3;
        for (auto it = s.templates.begin(); it != s.templates.end();) {
            const bool match = all ? it->second.tmpl.options == ev.options : it->first == ev.id;
            if (!match) {
                ++it;
                continue;
            }
            if (ipfix_out && it->second.sent) {
                const uint16_t id = it->first;
                if (ctx.with_room([&] { return ctx.w.add_withdrawal(id, ev.options); })) ++counters_.withdrawals_sent;
            }
            it = s.templates.erase(it);
        }
    }

    const proto::ip_address& exporter = msg.stream.exporter.address;
    // Templates that pass through unchanged go out as they arrive, not only before a record of
    // their own: a subTemplate(Multi)List (RFC 6313) refers to them from inside other records.
    for (const proto::template_event& ev : msg.template_events) {
        if (ev.kind == proto::template_event_kind::withdrawn || ev.def == nullptr) continue;
        template_state& t = template_for(s, *ev.def, out_version, add, exporter);
        if (!t.tmpl.added.empty() || !refresh_due(t, s, now_ms)) continue;
        if (!ctx.with_room([&] { return ctx.w.add_template(t.tmpl.id, t.tmpl.fields, t.tmpl.scope_count); })) continue;
        t.sent = true;
        t.last_sent_ms = now_ms;
        t.packets_at_send = s.packets;
        ++counters_.templates_sent;
    }

    const uint64_t init_ms = system_init_ms(msg.header);
    const size_t record_room = config_.max_payload - ctx.w.header_size() - 4;
    const proto::template_def* last_in = nullptr;
    template_state* ts = nullptr;
    for (size_t i = 0; i < msg.records.size(); ++i) {
        const proto::record_view& r = msg.records[i];
        if (r.tmpl != last_in) {
            ts = &template_for(s, *r.tmpl, out_version, add, exporter);
            last_in = r.tmpl;
        }
        if (refresh_due(*ts, s, now_ms)) {
            if (!ctx.with_room([&] { return ctx.w.add_template(ts->tmpl.id, ts->tmpl.fields, ts->tmpl.scope_count); })) {
                ++counters_.records_too_big;  // the template alone exceeds the payload limit
                continue;
            }
            ts->sent = true;
            ts->last_sent_ms = now_ms;
            ts->packets_at_send = s.packets;
            ++counters_.templates_sent;
        }
        const record_values& v = value_at(values, i);
        const size_t len = output_record_length(ts->tmpl, r, v);
        if (len > record_room) {
            ++counters_.records_too_big;
            continue;
        }
        uint8_t* p = nullptr;
        ctx.with_room([&] {
            if (!ctx.w.begin_data_set(ts->tmpl.id)) return false;
            p = ctx.w.append_record(len);
            return p != nullptr;
        });
        if (p == nullptr) {
            ++counters_.records_too_big;
            continue;
        }
        write_output_record(ts->tmpl, r, v, exporter, msg.stream.domain, init_ms, p);
    }

    for (const proto::raw_set& set : msg.unknown_sets) {
        if (config_.forward_unknown && out_version == in_version &&
            ctx.with_room([&] { return ctx.w.add_raw_set(set.id, set.body); })) {
            ++counters_.unknown_sets_forwarded;
        } else {
            ++counters_.unknown_sets_dropped;
        }
    }
    if (!config_.pack) {
        if (!o.w->empty()) emit(s, sink);
        o.begun = false;
    } else if (!o.listed && !o.w->empty()) {
        open_.push_back(&s);
        o.listed = true;
    }
}

void mediator::emit(out_stream& s, datagram_sink& sink) {
    proto::message_writer& w = *s.open.w;
    const uint32_t records = w.data_records();
    const std::span<const uint8_t> d = w.finish();
    sink.emit(d);
    ++counters_.messages_out;
    counters_.bytes_out += d.size();
    counters_.records_out += records;
    s.sequence += s.open.version == protocol_version::ipfix ? records : 1;
    ++s.packets;
    if (s.shared != nullptr) {
        s.shared->sequences[registry_slot_].store(s.sequence, std::memory_order_relaxed);
    }
    s.open.begun = false;
}

void mediator::flush(datagram_sink& sink) {
    for (out_stream* s : open_) {
        if (s->open.begun && !s->open.w->empty()) emit(*s, sink);
        s->open.begun = false;
        s->open.listed = false;
    }
    open_.clear();
}

void mediator::rewrite_v5(const proto::decoded_message& msg, std::span<const uint8_t> original,
                          std::span<const record_values> values, datagram_sink& sink) {
    const size_t n = msg.records.size();
    const size_t len = v5_header_size + n * v5_record_size;
    if (n == 0 || original.size() < len) return;
    std::memcpy(buffer_.data(), original.data(), len);
    proto::store_be16(buffer_.data() + 2, static_cast<uint16_t>(n));  // the records we really carry
    static const output_template v5_in_place =
        make_output_template(proto::netflow_v5_template(), protocol_version::netflow_v5, {}, {});
    for (size_t i = 0; i < n; ++i) {
        const proto::record_view& r = msg.records[i];
        write_output_record(v5_in_place, r, value_at(values, i), {}, 0, 0,
                            buffer_.data() + (r.data - original.data()));
    }
    sink.emit({buffer_.data(), len});
    ++counters_.messages_out;
    counters_.bytes_out += len;
    counters_.records_out += n;
}

}  // namespace ipfix::mediate
