#include "decoder_harness.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/enrichment_fields.hpp"
#include "ipfix/proto/message_writer.hpp"

namespace ipfix::fuzz {
namespace {

using namespace ipfix::proto;

constexpr uint64_t start_ms = 1'700'000'000'000ull;
constexpr uint64_t tick_ms = 250;
constexpr uint64_t jump_ms = 31ull * 60 * 1000;
constexpr size_t max_datagram = 0xFFFF;

void require(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "decoder harness: invariant broken: %s\n", what);
    std::abort();
}

exporter_endpoint exporter(unsigned i) {
    static const uint8_t v4a[4] = {192, 0, 2, 1};
    static const uint8_t v4b[4] = {192, 0, 2, 2};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    switch (i & 3) {
        case 0: return {ip_address::v4(v4a), 2055};
        case 1: return {ip_address::v4(v4a), 4739};
        case 2: return {ip_address::v4(v4b), 2055};
        default: return {ip_address::v6(v6), 4739};
    }
}

// Reads every byte of the record through its field locations and every accessor, so a view
// pointing outside the datagram is an out-of-bounds read for ASan.
uint64_t touch_record(const record_view& r, std::span<const uint8_t> datagram) {
    require(r.tmpl != nullptr && r.data != nullptr, "record without template or data");
    require(r.data >= datagram.data() && r.data + r.length <= datagram.data() + datagram.size(),
            "record outside its datagram");
    const template_def& t = *r.tmpl;
    if (t.variable) require(r.length >= t.min_record_length, "variable record under its minimum length");
    else require(r.length == t.min_record_length, "fixed record of the wrong length");
    uint64_t sum = 0;
    size_t end = 0;
    for (size_t i = 0; i < r.field_count(); ++i) {
        const field_spec& f = r.spec(i);
        const std::span<const uint8_t> v = r.value(i);
        require(v.data() >= r.data + end && v.data() + v.size() <= r.data + r.length, "field outside its record");
        if (f.length != variable_length) require(v.size() == f.length, "fixed field of the wrong length");
        end = static_cast<size_t>(v.data() + v.size() - r.data);
        for (uint8_t b : v) sum += b;
        sum += f.id + f.pen;
    }
    for (size_t k = 0; k < known_field_count; ++k) {
        const auto f = static_cast<known_field>(k);
        sum += r.unsigned_value(f).value_or(1);
        sum += r.address(f).bytes[0];
        sum += r.has(f);
    }
    sum += r.source_address().size() + r.destination_address().size() + r.next_hop().size() +
           r.bgp_next_hop().size();
    sum += r.source_as().value_or(0) + r.destination_as().value_or(0) + r.ingress_interface().value_or(0) +
           r.egress_interface().value_or(0) + r.octets().value_or(0) + r.packets().value_or(0);
    for (uint8_t b : r.bytes()) sum += b;
    return sum;
}

// Writes the template and the records decoded with it in this message through message_writer,
// decodes that with a fresh decoder, and requires the same definition and the same records.
void round_trip(const template_def& t, const decoded_message& msg) {
    if (t.version == protocol_version::netflow_v5) return;
    static std::vector<uint8_t> buf(max_datagram);
    message_writer w(buf, t.version);
    w.begin(1, 2, 3, 4);
    if (!w.add_template(t)) {
        // Only a template that left no room for the header difference and padding may not fit.
        require(t.wire.size() + w.header_size() + 4 + 3 > buf.size(), "decoded template does not fit a message");
        return;
    }
    std::vector<const record_view*> written;
    for (const record_view& r : msg.records) {
        if (r.tmpl != &t) continue;
        if (!w.begin_data_set(t.id) || !w.add_record(r.bytes())) break;
        written.push_back(&r);
    }
    const std::span<const uint8_t> out = w.finish();

    decoder dec;
    decoded_message again;
    require(dec.decode(exporter(0), out, start_ms, again), "re-encoded message rejected");
    require(again.malformed == 0, "re-encoded message counted malformed");
    require(again.template_events.size() == 1, "re-encoded template not decoded once");
    const template_event& ev = again.template_events[0];
    require(ev.kind == template_event_kind::learned && ev.def != nullptr, "re-encoded template not learned");
    const template_def& u = *ev.def;
    require(u.id == t.id && u.options == t.options && u.scope_count == t.scope_count, "template header changed");
    require(u.fields == t.fields, "template fields changed");
    require(u.wire == t.wire || t.version == protocol_version::ipfix, "v9 template wire changed");
    // v9 pads data flowsets; with records under 4 bytes the pad itself can decode as records.
    require(again.records.size() >= written.size(), "re-encoded records lost");
    if (t.version == protocol_version::ipfix || t.min_record_length >= 4) {
        require(again.records.size() == written.size(), "re-encoded records gained");
    }
    for (size_t i = 0; i < written.size(); ++i) {
        const std::span<const uint8_t> a = written[i]->bytes(), b = again.records[i].bytes();
        require(a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()), "re-encoded record changed");
    }
}

// run_ends cover the records, each run of one template; for_each_enrichment_fields gives every
// record once, in order, with what its accessors give.
void check_runs(const decoded_message& msg) {
    uint32_t begin = 0;
    for (const uint32_t end : msg.run_ends) {
        require(end > begin && end <= msg.records.size(), "run end out of order or past the records");
        for (uint32_t i = begin + 1; i < end; ++i) {
            require(msg.records[i].tmpl == msg.records[begin].tmpl, "two templates in one run");
        }
        begin = end;
    }
    require(begin == msg.records.size(), "records after the last run end");
    size_t next = 0;
    for_each_enrichment_fields(msg, [&](size_t i, const record_view& r, const enrichment_fields& v) {
        require(i == next++ && &r == &msg.records[i], "enrichment fields out of order");
        require(v.source_address.address() == r.source_address() &&
                    v.destination_address.address() == r.destination_address(),
                "enrichment field address differs from its accessor");
        require(v.source_as == r.source_as() && v.destination_as == r.destination_as(),
                "enrichment field AS number differs from its accessor");
    });
    require(next == msg.records.size(), "enrichment fields skipped records");
}

struct run_state {
    explicit run_state(decoder_config cfg) : dec(cfg), config(cfg) {}

    decoder dec;
    decoder_config config;
    decoded_message msg;
    uint64_t now_ms = start_ms;
    uint64_t fed = 0;
    uint64_t records = 0;
    uint64_t options_records = 0;
    uint64_t malformed = 0;
    volatile uint64_t sink = 0;

    void feed(std::span<const uint8_t> bytes, unsigned exporter_index) {
        // Its own allocation, so reading one byte past the datagram is a heap overflow.
        const std::vector<uint8_t> datagram(bytes.begin(), bytes.begin() + static_cast<long>(std::min(bytes.size(), max_datagram)));
        dec.decode(exporter(exporter_index), datagram, now_ms, msg);
        ++fed;
        uint64_t sum = 0;
        for (const record_view& r : msg.records) {
            sum += touch_record(r, datagram);
            if (r.tmpl->options) ++options_records;
        }
        check_runs(msg);
        records += msg.records.size();
        malformed += msg.malformed;
        for (const template_event& ev : msg.template_events) {
            require((ev.def == nullptr) == (ev.kind == template_event_kind::withdrawn), "template event definition");
            if (ev.def != nullptr) {
                require(ev.def->id == ev.id && ev.def->options == ev.options, "template event id");
                sum += ev.def->fields.size();
            }
            if (ev.kind == template_event_kind::learned || ev.kind == template_event_kind::redefined) {
                round_trip(*ev.def, msg);
            }
        }
        sink = sink + sum;
        check_counters();
    }

    void check_counters() {
        const decode_counters& c = dec.counters();
        require(c.messages == fed, "messages counter");
        require(c.records == records, "records counter");
        require(c.options_records == options_records, "options records counter");
        require(c.malformed_total() == malformed, "malformed counter");
        require(c.messages_ok <= c.messages, "messages_ok counter");
        const template_cache& cache = dec.templates();
        require(cache.stream_count() <= config.templates.max_streams, "stream bound");
        require(cache.template_count() <= config.templates.max_templates, "template bound");
        size_t templates = 0;
        cache.for_each_stream([&](const stream_state& s) { templates += s.templates.size(); });
        require(templates == cache.template_count(), "template count drifted");
    }
};

// The length of the message at the start of `rest`, as its own header tells (all of it when
// the header cannot tell: v9 carries no length).
size_t message_length(std::span<const uint8_t> rest) {
    if (rest.size() < 4) return rest.size();
    const uint16_t version = static_cast<uint16_t>((rest[0] << 8) | rest[1]);
    const size_t field = static_cast<size_t>((rest[2] << 8) | rest[3]);
    size_t len = rest.size();
    if (version == 10 && field >= 16) len = field;
    if (version == 5) len = 24 + 48 * field;
    return std::min(len, rest.size());
}

void run_raw(std::span<const uint8_t> input) {
    run_state st{decoder_config{}};
    while (!input.empty()) {
        const size_t n = message_length(input);
        st.feed(input.first(n), 0);
        input = input.subspan(n);
        st.now_ms += 1000;
    }
}

void run_framed(uint8_t mode, std::span<const uint8_t> input) {
    decoder_config cfg;
    if (mode & 1) cfg.templates.lifetime_ms = 5000;
    if (mode & 2) {
        cfg.templates.max_streams = 2;
        cfg.templates.max_templates = 4;
    }
    run_state st(cfg);
    while (input.size() >= 3) {
        const uint8_t control = input[0];
        const size_t len = std::min<size_t>(static_cast<size_t>((input[1] << 8) | input[2]), input.size() - 3);
        const unsigned step = control >> 2;
        st.now_ms += step == 63 ? jump_ms : step * tick_ms;
        st.feed(input.subspan(3, len), control & 3u);
        input = input.subspan(3 + len);
        if (step == 62) {
            // A periodic sweep, as the control thread would run it.
            decode_counters swept;
            st.dec.templates().expire(st.now_ms, swept);
            st.check_counters();
        }
    }
}

}  // namespace

void run_decoder_harness(std::span<const uint8_t> input) {
    if (input.empty()) return;
    if (input[0] == 0) run_raw(input);
    else run_framed(input[0], input.subspan(1));
}

}  // namespace ipfix::fuzz
