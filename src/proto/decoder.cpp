#include "ipfix/proto/decoder.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::proto {
namespace {

constexpr size_t v5_header_size = 24;
constexpr size_t v5_record_size = 48;
constexpr size_t v9_header_size = 20;
constexpr size_t ipfix_header_size = 16;
constexpr uint16_t ipfix_template_set = 2;
constexpr uint16_t ipfix_options_template_set = 3;
constexpr uint16_t v9_template_set_id = 0;
constexpr uint16_t v9_options_template_set_id = 1;
constexpr uint16_t min_data_set_id = 256;
constexpr uint16_t enterprise_bit = 0x8000;

// A message this far behind the expected sequence number is an exporter restart, not a
// reordering: start counting afresh.
constexpr int64_t sequence_restart_distance = 1 << 20;

bool all_zero(std::span<const uint8_t> b) {
    return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

// Each view is two 16-byte stores where the layout allows: (template, data), advanced by
// (0, len) with one add, and the unchanging (length, locations); member by member took four.
constexpr bool views_as_two_words = std::endian::native == std::endian::little && sizeof(void*) == 8 &&
                                    sizeof(record_view) == 32 && offsetof(record_view, tmpl) == 0 &&
                                    offsetof(record_view, data) == 8 && offsetof(record_view, length) == 16 &&
                                    offsetof(record_view, locs) == 24;

// The views of n records of `len` bytes from d, asking for the lines of each: its last byte's,
// and with two lines the one before. With the set's first line that is every line the records
// cover when len <= 64 * lines: a record's middle lines lie within 64 * (lines - 1) bytes of its end.
template <int lines>
void write_fixed_views(record_view* v, uint32_t n, const template_def* t, const uint8_t* d, uint32_t len,
                       const field_loc* locs) {
    if constexpr (views_as_two_words) {
        using u64x2 = uint64_t __attribute__((vector_size(16)));
        u64x2 head = {reinterpret_cast<uintptr_t>(t), reinterpret_cast<uintptr_t>(d)};
        const u64x2 step = {0, len};
        const u64x2 tail = {len, reinterpret_cast<uintptr_t>(locs)};
        auto* out = reinterpret_cast<unsigned char*>(v);
        for (uint32_t i = 0; i < n; ++i, d += len, out += sizeof(record_view)) {
            if constexpr (lines >= 1) __builtin_prefetch(d + len - 1);
            if constexpr (lines >= 2) __builtin_prefetch(d + len - 65);
            std::memcpy(out, &head, 16);
            std::memcpy(out + 16, &tail, 16);
            head += step;
        }
    } else {
        for (uint32_t i = 0; i < n; ++i, d += len) {
            if constexpr (lines >= 1) __builtin_prefetch(d + len - 1);
            if constexpr (lines >= 2) __builtin_prefetch(d + len - 65);
            v[i] = {t, d, static_cast<uint16_t>(len), locs};
        }
    }
}

// A run's fixed fields placed where the run starts: `at` added to each offset. As 32-bit words
// where the offset is the low half, one add a field (offset + at < 2^16, the record lies within
// its set, so nothing carries into the length).
void place_run(field_loc* out, const field_loc* in, size_t count, uint16_t at) {
    if constexpr (std::endian::native == std::endian::little && sizeof(field_loc) == 4 &&
                  offsetof(field_loc, offset) == 0) {
        for (size_t i = 0; i < count; ++i) {
            uint32_t word;
            std::memcpy(&word, in + i, 4);
            word += at;
            std::memcpy(static_cast<void*>(out + i), &word, 4);
        }
    } else {
        for (size_t i = 0; i < count; ++i) out[i] = {static_cast<uint16_t>(in[i].offset + at), in[i].length};
    }
}

}  // namespace

decoder::decoder(decoder_config config) : cache_(config.templates) {}

void decoder::count(malformed m, decoded_message& out) {
    ++counters_[m];
    ++out.malformed;
}

// The version's decoder, the fixed-length path of its data sets and the sequence check are
// inlined here ([[gnu::always_inline]] on each): one call frame per message. As calls, their
// register saves and argument moves were 4% of the instructions a record.
bool decoder::decode(const exporter_endpoint& from, std::span<const uint8_t> message, uint64_t now_ms,
                     decoded_message& out) {
    out.clear();
    cache_.release_retired();
    ++counters_.messages;
    out.stream.exporter = from;

    if (message.size() < 2) {
        count(malformed::truncated_header, out);
        return false;
    }
    bool ok = false;
    switch (load_be16(message.data())) {
        case 5: ok = decode_v5(from, message, now_ms, out); break;
        case 9: ok = decode_v9(from, message, now_ms, out); break;
        case 10: ok = decode_ipfix(from, message, now_ms, out); break;
        default: count(malformed::unsupported_version, out); return false;
    }
    if (ok && out.malformed == 0) ++counters_.messages_ok;
    return ok;
}

[[gnu::always_inline]] inline
bool decoder::decode_v5(const exporter_endpoint& from, std::span<const uint8_t> msg, uint64_t now_ms,
                        decoded_message& out) {
    if (msg.size() < v5_header_size) {
        count(malformed::truncated_header, out);
        return false;
    }
    const uint8_t* p = msg.data();
    message_header& h = out.header;
    h.version = protocol_version::netflow_v5;
    h.count = load_be16(p + 2);
    h.sys_uptime_ms = load_be32(p + 4);
    h.export_time = load_be32(p + 8);
    h.export_nsecs = load_be32(p + 12);
    h.sequence = load_be32(p + 16);
    h.domain = load_be16(p + 20);  // engine type, engine id
    h.sampling = load_be16(p + 22);
    h.length = static_cast<uint16_t>(std::min<size_t>(msg.size(), 0xFFFF));
    out.stream.domain = h.domain;
    out.stream.version = protocol_version::netflow_v5;

    const size_t available = (msg.size() - v5_header_size) / v5_record_size;
    const size_t n = std::min<size_t>(h.count, available);
    if (h.count > available) count(malformed::v5_truncated, out);
    counters_.padding_bytes += msg.size() - v5_header_size - n * v5_record_size;

    stream_state& s = cache_.stream(from, h.domain, protocol_version::netflow_v5, now_ms, counters_);
    const template_def& t = netflow_v5_template();
    // As for fixed-length IPFIX and v9 sets: one resize, then each view written once.
    out.records.resize(n);
    for (size_t i = 0; i < n; ++i) {
        out.records[i] = {&t, p + v5_header_size + i * v5_record_size, v5_record_size, t.fixed_locs.data()};
    }
    if (n != 0) out.run_ends.push_back(static_cast<uint32_t>(n));
    counters_.records += n;
    track_sequence(s, h.sequence, static_cast<uint32_t>(n), true);
    return true;
}

[[gnu::always_inline]] inline
bool decoder::decode_v9(const exporter_endpoint& from, std::span<const uint8_t> msg, uint64_t now_ms,
                        decoded_message& out) {
    if (msg.size() < v9_header_size) {
        count(malformed::truncated_header, out);
        return false;
    }
    const uint8_t* p = msg.data();
    message_header& h = out.header;
    h.version = protocol_version::netflow_v9;
    h.count = load_be16(p + 2);
    h.sys_uptime_ms = load_be32(p + 4);
    h.export_time = load_be32(p + 8);
    h.sequence = load_be32(p + 12);
    h.domain = load_be32(p + 16);
    h.length = static_cast<uint16_t>(std::min<size_t>(msg.size(), 0xFFFF));
    out.stream.domain = h.domain;
    out.stream.version = protocol_version::netflow_v9;
    stream_state& s = cache_.stream(from, h.domain, protocol_version::netflow_v9, now_ms, counters_);

    // The header count is wrong in several exporters' messages: walk flowsets by length.
    size_t pos = v9_header_size;
    while (pos < msg.size()) {
        const std::span<const uint8_t> rest = msg.subspan(pos);
        const uint16_t set_len = rest.size() >= 4 ? load_be16(rest.data() + 2) : 0;
        if (rest.size() < 4 || set_len < 4) {
            if (all_zero(rest)) counters_.padding_bytes += rest.size();
            else count(malformed::set_too_short, out);
            break;
        }
        if (set_len > rest.size()) {
            count(malformed::set_past_message, out);
            break;
        }
        const uint16_t set_id = load_be16(rest.data());
        const std::span<const uint8_t> body = rest.subspan(4, set_len - 4u);
        if (set_id == v9_template_set_id) template_set(s, body, false, now_ms, out);
        else if (set_id == v9_options_template_set_id) v9_options_template_set(s, body, now_ms, out);
        else if (set_id < min_data_set_id) count(malformed::data_set_id_reserved, out);
        else data_set(s, set_id, body, now_ms, out);
        pos += set_len;
    }
    track_sequence(s, h.sequence, 1, true);
    return true;
}

[[gnu::always_inline]] inline
bool decoder::decode_ipfix(const exporter_endpoint& from, std::span<const uint8_t> msg, uint64_t now_ms,
                           decoded_message& out) {
    if (msg.size() < ipfix_header_size) {
        count(malformed::truncated_header, out);
        return false;
    }
    const uint8_t* p = msg.data();
    message_header& h = out.header;
    h.version = protocol_version::ipfix;
    h.length = load_be16(p + 2);
    h.export_time = load_be32(p + 4);
    h.sequence = load_be32(p + 8);
    h.domain = load_be32(p + 12);
    out.stream.domain = h.domain;
    out.stream.version = protocol_version::ipfix;

    size_t end = msg.size();
    if (h.length != msg.size()) {
        count(malformed::length_mismatch, out);
        if (h.length >= ipfix_header_size) end = std::min<size_t>(h.length, msg.size());
    }
    stream_state& s = cache_.stream(from, h.domain, protocol_version::ipfix, now_ms, counters_);

    uint32_t data_records = 0;
    size_t pos = ipfix_header_size;
    while (pos < end) {
        const std::span<const uint8_t> rest = msg.subspan(pos, end - pos);
        const uint16_t set_len = rest.size() >= 4 ? load_be16(rest.data() + 2) : 0;
        if (rest.size() < 4 || set_len < 4) {
            count(malformed::set_too_short, out);
            break;
        }
        if (set_len > rest.size()) {
            count(malformed::set_past_message, out);
            break;
        }
        const uint16_t set_id = load_be16(rest.data());
        const std::span<const uint8_t> body = rest.subspan(4, set_len - 4u);
        if (set_id == ipfix_template_set) template_set(s, body, false, now_ms, out);
        else if (set_id == ipfix_options_template_set) template_set(s, body, true, now_ms, out);
        else if (set_id < min_data_set_id) count(malformed::data_set_id_reserved, out);
        else data_records += data_set(s, set_id, body, now_ms, out);
        pos += set_len;
    }
    // Records in sets we could not decode were counted by the exporter too: resynchronise.
    track_sequence(s, h.sequence, data_records, out.unknown_data_sets == 0);
    return true;
}

void decoder::template_set(stream_state& s, std::span<const uint8_t> set, bool options, uint64_t now_ms,
                           decoded_message& out) {
    const bool ipfix = out.header.version == protocol_version::ipfix;
    size_t p = 0;
    while (set.size() - p >= 4) {
        const uint8_t* rec = set.data() + p;
        const uint16_t id = load_be16(rec);
        const uint16_t field_count = load_be16(rec + 2);
        if (field_count == 0) {
            if (!ipfix) {
                // v9 has no withdrawals: zeros here are padding, anything else is broken.
                if (all_zero(set.subspan(p))) counters_.padding_bytes += set.size() - p;
                else count(malformed::template_zero_fields, out);
                return;
            }
            const uint16_t all_id = options ? ipfix_options_template_set : ipfix_template_set;
            if (id == all_id) {
                cache_.withdraw_all(s, options, counters_);
                out.template_events.push_back({template_event_kind::withdrawn, id, options, nullptr});
            } else if (id < min_data_set_id) {
                count(malformed::withdrawal_invalid, out);
            } else if (cache_.withdraw(s, id, counters_)) {
                out.template_events.push_back({template_event_kind::withdrawn, id, options, nullptr});
            }
            p += 4;
            continue;
        }
        size_t q = p + 4;
        uint16_t scope_count = 0;
        if (options) {
            if (set.size() - p < 6) {
                count(malformed::template_truncated, out);
                return;
            }
            scope_count = load_be16(rec + 4);
            q += 2;
        }
        // Walk the specifiers once to find the record's end before building anything.
        // A field of length 0 is legal (Juniper, Cisco send them: the field is simply absent
        // from the records); a template whose records would have no bytes at all is not.
        uint32_t record_bytes = 0;
        for (uint16_t i = 0; i < field_count; ++i) {
            if (set.size() - q < 4) {
                count(malformed::template_truncated, out);
                return;
            }
            const uint16_t raw_id = load_be16(set.data() + q);
            record_bytes += load_be16(set.data() + q + 2);
            q += 4;
            if (ipfix && (raw_id & enterprise_bit)) {
                if (set.size() - q < 4) {
                    count(malformed::template_truncated, out);
                    return;
                }
                q += 4;
            }
        }
        const std::span<const uint8_t> wire = set.subspan(p, q - p);
        p = q;
        if (id < min_data_set_id) {
            count(malformed::template_id_reserved, out);
            continue;
        }
        if (options && (scope_count == 0 || scope_count > field_count)) {
            count(malformed::options_scope_invalid, out);
            continue;
        }
        if (record_bytes == 0) {
            count(malformed::field_length_zero, out);
            continue;
        }
        if (const template_def* known = cache_.refresh(s, id, wire, now_ms, counters_)) {
            out.template_events.push_back({template_event_kind::refreshed, id, options, known});
            continue;
        }
        template_def t;
        t.id = id;
        t.options = options;
        t.scope_count = scope_count;
        t.fields.reserve(field_count);
        size_t r = options ? 6 : 4;
        for (uint16_t i = 0; i < field_count; ++i) {
            field_spec f;
            const uint16_t raw_id = load_be16(wire.data() + r);
            f.length = load_be16(wire.data() + r + 2);
            r += 4;
            f.id = ipfix ? static_cast<uint16_t>(raw_id & ~enterprise_bit) : raw_id;
            if (ipfix && (raw_id & enterprise_bit)) {
                f.pen = load_be32(wire.data() + r);
                r += 4;
            }
            f.is_scope = i < scope_count;
            t.fields.push_back(f);
        }
        store_template(s, std::move(t), wire, now_ms, out);
    }
    counters_.padding_bytes += set.size() - p;
}

void decoder::v9_options_template_set(stream_state& s, std::span<const uint8_t> set, uint64_t now_ms,
                                      decoded_message& out) {
    size_t p = 0;
    while (set.size() - p >= 6) {
        const uint8_t* rec = set.data() + p;
        const uint16_t id = load_be16(rec);
        const uint16_t scope_len = load_be16(rec + 2);
        const uint16_t option_len = load_be16(rec + 4);
        if (id == 0 && scope_len == 0 && option_len == 0 && all_zero(set.subspan(p))) break;  // padding
        if (scope_len % 4 != 0 || option_len % 4 != 0) {
            count(malformed::options_scope_invalid, out);
            return;
        }
        const size_t wire_len = size_t{6} + scope_len + option_len;
        if (set.size() - p < wire_len) {
            count(malformed::template_truncated, out);
            return;
        }
        const std::span<const uint8_t> wire = set.subspan(p, wire_len);
        p += wire_len;
        const size_t scope_count = scope_len / 4u;
        const size_t field_count = scope_count + option_len / 4u;
        if (field_count == 0) {
            count(malformed::template_zero_fields, out);
            continue;
        }
        if (id < min_data_set_id) {
            count(malformed::template_id_reserved, out);
            continue;
        }
        // Options without a scope are as invalid as in IPFIX (and could not be re-sent as options).
        if (scope_count == 0) {
            count(malformed::options_scope_invalid, out);
            continue;
        }
        uint32_t record_bytes = 0;  // as for data templates: only records of no bytes are refused
        for (size_t i = 0; i < field_count; ++i) record_bytes += load_be16(wire.data() + 8 + i * 4);
        if (record_bytes == 0) {
            count(malformed::field_length_zero, out);
            continue;
        }
        if (const template_def* known = cache_.refresh(s, id, wire, now_ms, counters_)) {
            out.template_events.push_back({template_event_kind::refreshed, id, true, known});
            continue;
        }
        template_def t;
        t.id = id;
        t.options = true;
        t.scope_count = static_cast<uint16_t>(scope_count);
        t.fields.reserve(field_count);
        for (size_t i = 0; i < field_count; ++i) {
            const uint8_t* f = wire.data() + 6 + i * 4;
            t.fields.push_back({load_be16(f), load_be16(f + 2), 0, i < scope_count});
        }
        store_template(s, std::move(t), wire, now_ms, out);
    }
    counters_.padding_bytes += set.size() - p;
}

void decoder::store_template(stream_state& s, template_def&& t, std::span<const uint8_t> wire, uint64_t now_ms,
                             decoded_message& out) {
    t.version = out.header.version;
    t.wire.assign(wire.begin(), wire.end());
    if (!finalize_template(t)) {
        count(malformed::template_too_long, out);
        return;
    }
    auto def = std::make_shared<const template_def>(std::move(t));
    const template_def* raw = def.get();
    const learn_result r = cache_.learn(s, std::move(def), now_ms, counters_);
    out.template_events.push_back({r == learn_result::redefined ? template_event_kind::redefined
                                                                : template_event_kind::learned,
                                   raw->id, raw->options, raw});
}

// Grows the location storage of variable-length records to take `more` entries; views made
// earlier in the message are moved along with their locations (rare: the storage is kept).
void decoder::reserve_locs(decoded_message& out, size_t more) {
    auto& v = out.loc_storage;
    if (v.capacity() - v.size() >= more) return;
    const field_loc* old_begin = v.data();
    const field_loc* old_end = v.data() + v.size();
    v.reserve(std::max(v.size() + more, v.capacity() * 2));
    for (record_view& r : out.records) {
        const std::less_equal<const field_loc*> le;
        if (le(old_begin, r.locs) && !le(old_end, r.locs)) r.locs = v.data() + (r.locs - old_begin);
    }
}

[[gnu::always_inline]] inline
uint32_t decoder::data_set(stream_state& s, uint16_t set_id, std::span<const uint8_t> set, uint64_t now_ms,
                           decoded_message& out) {
    const data_set_plan* plan = cache_.find_plan(s, set_id, now_ms, counters_);
    if (plan == nullptr) {
        count(malformed::unknown_template, out);
        ++out.unknown_data_sets;
        out.unknown_sets.push_back({set_id, set});
        return 0;
    }
    const template_def* t = plan->def;
    // Whoever takes the records reads the template's first line (where its fields lie) next.
    __builtin_prefetch(t);
    // Out of line: the fixed-length path, nearly every set, then needs fewer registers saved.
    if (plan->variable) return variable_set(*t, set, out);
    // Records at set + i * length: the count first, then one resize and one write per view.
    // push_back stored the vector's end and reloaded the locations after every record (it
    // could not tell they do not alias the views it writes).
    const uint32_t len = plan->min_record_length;  // > 0: templates of no bytes are refused
    const auto n = static_cast<uint32_t>((set.size() * plan->record_length_reciprocal) >> 32);
    const size_t first = out.records.size();
    out.records.resize(first + n);
    record_view* v = out.records.data() + first;
    const uint8_t* d = set.data();
    const field_loc* locs = plan->fixed_locs;
    // Nothing here reads the records; whoever takes the views will, soon after this message
    // is decoded. Their lines are asked for now, so a set not in cache (a NIC's DMA, a big
    // receive batch) costs one memory latency rather than one per record. Records of up to
    // two lines are asked for by the loop that writes their views (a loop of its own over the
    // lines cost its instructions and a mispredicted exit per set).
    __builtin_prefetch(d);
    if (len <= 64) {
        write_fixed_views<1>(v, n, t, d, len, locs);
    } else if (len <= 128) {
        write_fixed_views<2>(v, n, t, d, len, locs);
    } else {
        for (size_t off = 64; off < set.size(); off += 64) __builtin_prefetch(d + off);
        write_fixed_views<0>(v, n, t, d, len, locs);
    }
    if (n != 0) out.run_ends.push_back(static_cast<uint32_t>(first + n));
    count_set(plan->options, n, set.size() - size_t{n} * len);
    return n;
}

uint32_t decoder::variable_set(const template_def& t, std::span<const uint8_t> set, decoded_message& out) {
    uint32_t n = 0;
    size_t p = 0;
    // Room for the locations of as many records as the set could hold (each takes at least
    // min_record_length bytes), made before any view points into this set's part of the
    // storage, then written through a pointer and cut to what the records used: a push_back
    // per field stored the vector's end every time.
    const size_t nf = t.fields.size();
    const size_t room = (set.size() / t.min_record_length + 1) * nf;
    reserve_locs(out, room);
    const size_t first = out.loc_storage.size();
    out.loc_storage.resize(first + room);
    field_loc* const locs = out.loc_storage.data() + first;
    field_loc* w = locs;
    const uint8_t* const b = set.data();
    const size_t size = set.size();
    const size_t min_len = t.min_record_length;
    const varlen_run* const runs = t.runs.data();
    const size_t last_run = t.runs.size() - 1;
    const field_loc* const run_locs = t.run_locs.data();
    while (size - p >= min_len) {
        const size_t start = p;
        bool fits = true;
        // Before each run size - p covers the least the fields from there on take, so its
        // fixed fields and the length byte after them need no check; only what a variable
        // field adds (its content, a 3-byte length's two more bytes) does.
        for (size_t k = 0;; ++k) {
            const varlen_run& r = runs[k];
            place_run(w + r.first, run_locs + r.first, r.fixed, static_cast<uint16_t>(p - start));
            p += r.fixed_bytes;
            if (k == last_run) break;
            size_t len = b[p++];
            if (len == 255) {
                if (size - p < r.need_after + size_t{2}) { fits = false; break; }
                len = load_be16(b + p);
                p += 2;
            }
            if (size - p < r.need_after + len) { fits = false; break; }
            w[r.first + r.fixed] = {static_cast<uint16_t>(p - start), static_cast<uint16_t>(len)};
            p += len;
        }
        if (!fits) {
            count(malformed::record_past_set, out);
            p = size;  // the rest is not padding: it is counted as malformed
            break;
        }
        out.records.push_back({&t, b + start, static_cast<uint16_t>(p - start), w});
        w += nf;
        ++n;
    }
    out.loc_storage.resize(first + static_cast<size_t>(w - locs));
    if (n != 0) out.run_ends.push_back(static_cast<uint32_t>(out.records.size()));
    count_set(t.options, n, set.size() - p);
    return n;
}

[[gnu::always_inline]] inline
void decoder::track_sequence(stream_state& s, uint32_t sequence, uint32_t units, bool complete) {
    sequence_state& q = s.sequence;
    if (q.valid) {
        const int64_t diff = static_cast<int32_t>(sequence - q.next);
        if (diff < 0 && -diff < sequence_restart_distance) {
            ++q.reordered;
            ++counters_.sequence_reordered;
            return;  // the expectation stays where the newest message put it
        }
        if (diff > 0 && diff < sequence_restart_distance) {
            ++q.gaps;
            q.lost += static_cast<uint64_t>(diff);
            ++counters_.sequence_gaps;
            counters_.sequence_lost += static_cast<uint64_t>(diff);
        }
    }
    q.valid = complete;
    q.next = sequence + units;
}

}  // namespace ipfix::proto
