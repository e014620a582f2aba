#include "ipfix/store/retention_codec.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>

#include "retention_reader.hpp"

namespace ipfix::store {
namespace {

using namespace detail;

constexpr uint8_t block_magic = 'R';
constexpr uint8_t block_version = 3;
// magic, version, records (u32), first and last seen ms (u64 each), the exporter table's
// offset (u32); fixed-size and little-endian so it is written last, in place.
constexpr size_t header_size = 2 + 4 + 8 + 8 + 4;
// A group's record count: a varint padded to three bytes, patched when the group closes.
constexpr uint32_t max_group_records = (1u << 21) - 1;

// A format-3 group's layout: its records' integers, in this order, each kept as the record has
// it (big-endian) in the bytes the group's values need (RFC 7011's reduced size), so a record
// is stored by copying and decoded by the same reads summarize() makes. The AS numbers come
// last: a record keeps only the one it forwards, the exporter's or the one enrichment looked up
// (4 bytes, little-endian).
enum : size_t {
    source_port, destination_port, protocol, octets, packets, input_interface, output_interface, start_time,
    end_time, source_as, destination_as, int_count
};
// How a group's flow times are kept: pipeline::time_source's numbers, 2 bits each.
using pipeline::time_source;
// A format-3 record's flags.
enum v3_flag : uint8_t {
    v3_source_filled = 1,
    v3_destination_filled = 2,
    v3_source_country = 4,
    v3_destination_country = 8,
    v3_reserved = 0xf0,
};

// The most a record takes: flags, two IPv6 addresses, the integers (each stored as 8 bytes
// before the next overwrites what is not kept), two looked-up AS numbers, two countries.
constexpr size_t max_record_size = 1 + 2 * 16 + int_count * 8 + 2 * 4 + 2 * 2;
// Seen delta, exporter, version, domain, template, count; families and time kinds, widths,
// the header's clock.
constexpr size_t max_group_header = 10 + 3 + 1 + 5 + 3 + 3 + 1 + int_count + 8;

uint8_t* put_varint(uint8_t* p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = static_cast<uint8_t>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    return p;
}

uint8_t* put_fixed(uint8_t* p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i, v >>= 8) *p++ = static_cast<uint8_t>(v);
    return p;
}

uint64_t zigzag(uint64_t from, uint64_t to) {
    const int64_t d = static_cast<int64_t>(to - from);
    return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
}

// An address's 4 or 16 bytes, nothing for another length. Fixed-size copies: a memcpy of a
// variable length was a library call a record.
uint8_t* put_address_bytes(uint8_t* p, const uint8_t* bytes, uint8_t length) {
    if (length == 4) {
        std::memcpy(p, bytes, 4);
        return p + 4;
    }
    if (length == 16) {
        std::memcpy(p, bytes, 16);
        return p + 16;
    }
    return p;
}

// Family byte, then the address's bytes (4, 16 or none): the exporter table's form.
uint8_t* put_address(uint8_t* p, const uint8_t* bytes, uint8_t length) {
    *p++ = length == 4 ? 4 : length == 16 ? 6 : 0;
    return put_address_bytes(p, bytes, length);
}

// A group's first layout byte: the address families (0 none, 1 IPv4, 2 IPv6, from a length of
// 0, 4 or 16) in bits 0-3, where the start and end times come from in bits 4-7.
uint8_t families_and_times(uint8_t source_length, uint8_t destination_length, time_source start, time_source end) {
    const auto family = [](uint8_t length) { return (length >> 2) - (length >> 3); };
    return static_cast<uint8_t>(family(source_length) | family(destination_length) << 2 |
                                static_cast<int>(start) << 4 | static_cast<int>(end) << 6);
}

// The summary_layout member a flow time of `source` is read from (start or end); null for none.
proto::field_loc pipeline::summary_layout::*time_field(time_source source, bool start) {
    using l = pipeline::summary_layout;
    switch (source) {
        case time_source::ms: return start ? &l::start_ms : &l::end_ms;
        case time_source::s: return start ? &l::start_s : &l::end_s;
        case time_source::uptime: return start ? &l::start_uptime : &l::end_uptime;
        case time_source::none: break;
    }
    return nullptr;
}

}  // namespace

// Where a set's records keep what a group stores, and the group's layout. Each integer is
// copied as one 8-byte load inside the record (starting at the field, or earlier when that
// would pass the record's end), a shift and one 8-byte store: no branch and no loop a value.
struct block_encoder::record_plan {
    static_assert(sizeof(group_layout::widths) == int_count);
    group_layout layout;
    uint16_t source_at = 0, destination_at = 0;
    uint8_t source_length = 0, destination_length = 0;
    uint16_t at[int_count] = {};
    uint8_t shift[int_count] = {};  // bits before the field in the 8 loaded

    void place(size_t i, proto::field_loc l, size_t record_length) {
        const size_t from = std::min<size_t>(l.offset, record_length - 8);
        at[i] = static_cast<uint16_t>(l.length == 0 ? 0 : from);
        shift[i] = static_cast<uint8_t>(l.length == 0 ? 0 : 8 * (l.offset - from));
        layout.widths[i] = static_cast<uint8_t>(l.length);
    }

    // Drops the bytes every record of `records` (laid out alike, each at least 8 bytes) has zero
    // at the front of each integer: the reduced-size encoding of RFC 7011 section 6.2, so the
    // value reads the same. Exporters send 8-byte counters and times whose values need half
    // that. An AS number the template has keeps a byte: none at all means enrichment's.
    void reduce(std::span<const proto::record_view> records) {
        uint64_t seen[int_count] = {};
        for (const proto::record_view& r : records) {
            for (size_t i = 0; i < int_count; ++i) seen[i] |= word(r.data, i);
        }
        for (size_t i = 0; i < int_count; ++i) {
            const unsigned zero = std::min<unsigned>(static_cast<unsigned>(std::countr_zero(seen[i])) / 8,
                                                     layout.widths[i] - (i >= source_as && layout.widths[i] != 0));
            layout.widths[i] = static_cast<uint8_t>(layout.widths[i] - zero);
            shift[i] = static_cast<uint8_t>(layout.widths[i] == 0 ? 0 : shift[i] + 8 * zero);  // never by 64
        }
    }

    // Integer i's bytes, in memory order from the lowest: the field's first byte is the lowest.
    uint64_t word(const uint8_t* record, size_t i) const {
        uint64_t w;
        std::memcpy(&w, record + at[i], 8);
        if constexpr (std::endian::native == std::endian::little) {
            return w >> shift[i];
        } else {
            return w << shift[i];
        }
    }

    // A decoded record of `record_length` >= 8 bytes (shorter ones are read padded): every record
    // of its set alike unless its template has variable-length fields.
    void plan(const proto::record_view& r, const proto::message_header& h, size_t record_length) {
        const pipeline::summary_layout l = pipeline::layout_of(r);
        source_at = l.source.offset;
        source_length = static_cast<uint8_t>(l.source.length);
        destination_at = l.destination.offset;
        destination_length = static_cast<uint8_t>(l.destination.length);
        const time_source start = pipeline::time_source_of(l.start_ms, l.start_s, l.start_uptime, h.version);
        const time_source end = pipeline::time_source_of(l.end_ms, l.end_s, l.end_uptime, h.version);
        const auto time_loc = [&l](time_source k, bool is_start) {
            const auto field = time_field(k, is_start);
            return field == nullptr ? proto::field_loc{} : l.*field;
        };
        const proto::field_loc locs[int_count] = {
            l.source_port, l.destination_port, l.protocol, l.octets, l.packets, l.input_interface, l.output_interface,
            time_loc(start, true), time_loc(end, false), l.source_as, l.destination_as};
        for (size_t i = 0; i < int_count; ++i) place(i, locs[i], record_length);
        layout.families_and_times = families_and_times(source_length, destination_length, start, end);
        const bool uptime = start == time_source::uptime || end == time_source::uptime;
        layout.sys_uptime_ms = uptime ? h.sys_uptime_ms : 0;
        layout.export_time = uptime ? h.export_time : 0;
    }
};

block_encoder::block_encoder() : buf_(64 << 10), size_(header_size) {}

void block_encoder::grow(size_t n) { buf_.resize(std::max(buf_.size() * 2, size_ + n)); }

uint16_t block_encoder::exporter_index(const proto::ip_address& address, uint16_t port) {
    if (last_exporter_ < exporters_.size() && exporters_[last_exporter_].port == port &&
        exporters_[last_exporter_].address == address) {
        return static_cast<uint16_t>(last_exporter_);
    }
    // Blocks hold few exporters: a linear scan finds the usual one at once.
    for (size_t i = exporters_.size(); i-- > 0;) {
        if (exporters_[i].port == port && exporters_[i].address == address) {
            last_exporter_ = i;
            return static_cast<uint16_t>(i);
        }
    }
    exporters_.push_back({address, port});
    last_exporter_ = exporters_.size() - 1;
    return static_cast<uint16_t>(last_exporter_);
}

void block_encoder::start_record(uint64_t seen_ms) {
    if (records_ == 0) {
        first_seen_ms_ = last_seen_ms_ = seen_ms;
        group_seen_ms_ = 0;  // the first group's seen time is a delta to 0: the reader knows no other
    }
    first_seen_ms_ = std::min(first_seen_ms_, seen_ms);
    last_seen_ms_ = std::max(last_seen_ms_, seen_ms);
}

void block_encoder::group(uint64_t seen_ms, uint16_t exporter, uint8_t version, uint32_t domain, uint16_t template_id,
                          const group_layout& layout) {
    // A datagram's records join a group without this check: leave room for a whole one.
    if (group_records_ != 0 && group_records_ < max_group_records - UINT16_MAX && seen_ms == group_seen_ms_ &&
        exporter == group_exporter_ && version == group_version_ && domain == group_domain_ &&
        template_id == group_template_ && layout == group_layout_) {
        return;
    }
    close_group();
    uint8_t* p = room(max_group_header);
    uint8_t* const start = p;
    p = put_varint(p, zigzag(group_seen_ms_, seen_ms));
    p = put_varint(p, exporter);
    *p++ = version;
    p = put_varint(p, domain);
    p = put_varint(p, template_id);
    group_count_at_ = size_ + static_cast<size_t>(p - start);
    p += 3;
    *p++ = layout.families_and_times;
    std::memcpy(p, layout.widths, int_count);
    p += int_count;
    constexpr int uptime = static_cast<int>(time_source::uptime);
    if ((layout.families_and_times >> 4 & 3) == uptime || layout.families_and_times >> 6 == uptime) {
        p = put_fixed(p, layout.sys_uptime_ms, 4);
        p = put_fixed(p, layout.export_time, 4);
    }
    size_ += static_cast<size_t>(p - start);
    group_seen_ms_ = seen_ms;
    group_exporter_ = exporter;
    group_version_ = version;
    group_domain_ = domain;
    group_template_ = template_id;
    group_layout_ = layout;
}

void block_encoder::close_group() {
    if (group_records_ == 0) return;
    uint8_t* p = buf_.data() + group_count_at_;
    p[0] = static_cast<uint8_t>((group_records_ & 0x7f) | 0x80);
    p[1] = static_cast<uint8_t>(((group_records_ >> 7) & 0x7f) | 0x80);
    p[2] = static_cast<uint8_t>(group_records_ >> 14);
    group_records_ = 0;
}

void block_encoder::write(const record_plan& plan, const uint8_t* record, const mediate::record_values& v) {
    const uint8_t* const widths = plan.layout.widths;
    const bool source_country = v.source_country[0] != 0 || v.source_country[1] != 0;
    const bool destination_country = v.destination_country[0] != 0 || v.destination_country[1] != 0;
    uint8_t* p = room(max_record_size);
    uint8_t* const start = p;
    // Copies integer i, and keeps `keep` bytes of it.
    const auto copy = [&](size_t i, size_t keep) {
        const uint64_t w = plan.word(record, i);
        std::memcpy(p, &w, 8);
        p += keep;
    };
    *p++ = static_cast<uint8_t>(v.write_source_as * v3_source_filled | v.write_destination_as * v3_destination_filled |
                                source_country * v3_source_country | destination_country * v3_destination_country);
    p = put_address_bytes(p, record + plan.source_at, plan.source_length);
    p = put_address_bytes(p, record + plan.destination_at, plan.destination_length);
    for (size_t i = 0; i < source_as; ++i) copy(i, widths[i]);
    // The AS number forwarded: the record's own unless enrichment wrote one (or there is none),
    // then what it looked up. Both written, one kept: no branch on the data.
    copy(source_as, widths[source_as] * !v.write_source_as);
    put_fixed(p, v.source_as, 4);
    p += 4 * (v.write_source_as || widths[source_as] == 0);
    copy(destination_as, widths[destination_as] * !v.write_destination_as);
    put_fixed(p, v.destination_as, 4);
    p += 4 * (v.write_destination_as || widths[destination_as] == 0);
    std::memcpy(p, v.source_country.data(), 2);
    p += 2 * source_country;
    std::memcpy(p, v.destination_country.data(), 2);
    p += 2 * destination_country;
    size_ += static_cast<size_t>(p - start);
    ++group_records_;
    ++records_;
}

void block_encoder::add(const pipeline::flow_summary& s) {
    // The summary as a record whose integers take the bytes their values need (times in
    // milliseconds), through the same plan.
    enum : uint16_t { at_source = 0, at_destination = 16, at_ints = 32 };
    const uint64_t values[int_count] = {s.source_port,     s.destination_port, s.protocol,      s.bytes,
                                        s.packets,         s.input_interface,  s.output_interface, s.flow_start_ms,
                                        s.flow_end_ms,     s.source_as,        s.destination_as};
    uint8_t record[at_ints + 8 * int_count] = {};
    std::memcpy(record + at_source, s.source.bytes.data(), s.source.size());
    std::memcpy(record + at_destination, s.destination.bytes.data(), s.destination.size());
    record_plan plan;
    size_t at = at_ints;
    for (size_t i = 0; i < int_count; ++i) {
        const auto width = static_cast<uint8_t>((std::bit_width(values[i]) + 7) / 8);
        proto::store_uint(record + at, width, values[i]);
        plan.place(i, {static_cast<uint16_t>(at), width}, sizeof record);
        at += width;
    }
    plan.source_at = at_source;
    plan.source_length = static_cast<uint8_t>(s.source.size());
    plan.destination_at = at_destination;
    plan.destination_length = static_cast<uint8_t>(s.destination.size());
    plan.layout.families_and_times =
        families_and_times(plan.source_length, plan.destination_length, time_source::ms, time_source::ms);
    mediate::record_values v;
    v.source_as = s.source_as;
    v.destination_as = s.destination_as;
    v.write_source_as = s.source_as_filled;
    v.write_destination_as = s.destination_as_filled;
    v.source_country = s.source_country;
    v.destination_country = s.destination_country;
    start_record(s.seen_ms);
    group(s.seen_ms, exporter_index(s.exporter, s.exporter_port), s.version, s.domain, s.template_id, plan.layout);
    write(plan, record, v);
}

size_t block_encoder::add(const pipeline::tapped_datagram& d) {
    const proto::decoded_message& m = d.message;
    const uint16_t exporter = exporter_index(m.stream.exporter.address, m.stream.exporter.port);
    const auto version = static_cast<uint8_t>(m.header.version);
    const proto::template_def* planned = nullptr;
    record_plan plan;
    size_t n = 0;
    start_record(d.seen_ms);  // one seen time for the whole datagram
    for (size_t i = 0; i < m.records.size(); ++i) {
        const proto::record_view& r = m.records[i];
        if (r.tmpl->options) continue;
        // A record shorter than a load is read from a zero-padded copy.
        uint8_t padded[8] = {};
        const uint8_t* data = r.data;
        if (r.length < 8) [[unlikely]] {
            std::memcpy(padded, r.data, r.length);
            data = padded;
        }
        // Fixed-length templates place every record's fields alike: planned once a set, and
        // the group (the rest of its key is the datagram's) changes only with the template.
        if (r.tmpl != planned || r.tmpl->variable) {
            plan.plan(r, m.header, std::max<size_t>(r.length, 8));
            // A fixed-length set's integers narrowed to what its records need, so that the
            // record is still copied as it came.
            if (!r.tmpl->variable && r.length >= 8) {
                size_t end = i + 1;
                while (end < m.records.size() && m.records[end].tmpl == r.tmpl) ++end;
                plan.reduce(std::span(m.records).subspan(i, end - i));
            }
            group(d.seen_ms, exporter, version, m.header.domain, r.tmpl->id, plan.layout);
            planned = r.tmpl;
        }
        write(plan, data, d.values[i]);
        ++n;
    }
    return n;
}

std::string_view block_encoder::seal() {
    if (records_ == 0) return {};
    close_group();
    const size_t table_at = size_;
    uint8_t* p = room(10 + exporters_.size() * (17 + 3));
    p = put_varint(p, exporters_.size());
    for (const exporter_entry& e : exporters_) {
        p = put_address(p, e.address.bytes.data(), static_cast<uint8_t>(e.address.size()));
        p = put_varint(p, e.port);
    }
    const size_t total = static_cast<size_t>(p - buf_.data());
    uint8_t* h = buf_.data();
    *h++ = block_magic;
    *h++ = block_version;
    h = put_fixed(h, records_, 4);
    h = put_fixed(h, first_seen_ms_, 8);
    h = put_fixed(h, last_seen_ms_, 8);
    put_fixed(h, table_at, 4);
    size_ = header_size;
    exporters_.clear();
    last_exporter_ = 0;
    records_ = 0;
    return {reinterpret_cast<const char*>(buf_.data()), total};
}

namespace {

// Formats 2 and 3 share the header, the groups and the exporter table; only records differ.
bool read_grouped_info(reader& r, block_info& info, size_t& table_at) {
    r.at = 2;
    info.records = static_cast<uint32_t>(r.fixed(4));
    info.first_seen_ms = r.fixed(8);
    info.last_seen_ms = r.fixed(8);
    table_at = r.fixed(4);
    return !r.bad && info.records <= max_block_records && info.first_seen_ms <= info.last_seen_ms &&
           table_at >= header_size && table_at <= r.in.size();
}

// A format-3 group's layout as read: where its records' fields sit, for the reads summarize()
// makes (pipeline::value_at, flow_time) on a stored record.
struct stored_layout {
    pipeline::summary_layout fields;
    proto::message_header header;  // version and the clock, for uptime-relative times
    size_t fixed_size = 0;         // flags, addresses and the integers before the AS numbers
    uint8_t source_as_width = 0, destination_as_width = 0;
};

bool read_v3_layout(reader& r, uint8_t version, stored_layout& out) {
    const uint8_t byte = r.byte();
    uint8_t widths[int_count];
    for (uint8_t& w : widths) w = r.byte();
    const auto start = static_cast<time_source>(byte >> 4 & 3);
    const auto end = static_cast<time_source>(byte >> 6);
    if (start == time_source::uptime || end == time_source::uptime) {
        out.header.sys_uptime_ms = static_cast<uint32_t>(r.fixed(4));
        out.header.export_time = static_cast<uint32_t>(r.fixed(4));
    }
    constexpr uint8_t length_of_family[4] = {0, 4, 16, 255};
    const uint8_t source = length_of_family[byte & 3];
    const uint8_t destination = length_of_family[byte >> 2 & 3];
    if (r.bad || source == 255 || destination == 255) return false;
    for (const uint8_t w : widths) {
        if (w > 8) return false;
    }
    out.header.version = static_cast<proto::protocol_version>(version);
    pipeline::summary_layout& l = out.fields;
    uint16_t at = 1;
    const auto next = [&at](uint8_t width) {
        const proto::field_loc loc{width == 0 ? uint16_t{0} : at, width};
        at = static_cast<uint16_t>(at + width);
        return loc;
    };
    l.source = next(source);
    l.destination = next(destination);
    proto::field_loc locs[source_as];
    for (size_t i = 0; i < source_as; ++i) locs[i] = next(widths[i]);
    l.source_port = locs[source_port];
    l.destination_port = locs[destination_port];
    l.protocol = locs[protocol];
    l.octets = locs[octets];
    l.packets = locs[packets];
    l.input_interface = locs[input_interface];
    l.output_interface = locs[output_interface];
    // Where flow_time looks for a time of that source; a time of none is not read.
    if (const auto field = time_field(start, true)) l.*field = locs[start_time];
    if (const auto field = time_field(end, false)) l.*field = locs[end_time];
    out.fixed_size = at;
    out.source_as_width = widths[source_as];
    out.destination_as_width = widths[destination_as];
    return true;
}

// The AS number a format-3 record forwarded: what enrichment looked up when it wrote it or the
// record had none, else the record's own as the exporter sent it.
uint32_t read_forwarded_as(reader& r, bool filled, uint8_t width) {
    if (filled || width == 0) return static_cast<uint32_t>(r.fixed(4));
    if (r.in.size() - std::min(r.at, r.in.size()) < width) {
        r.bad = true;
        return 0;
    }
    const uint64_t v = proto::load_uint(reinterpret_cast<const uint8_t*>(r.in.data()) + r.at, width);
    r.at += width;
    return static_cast<uint32_t>(v);
}

// A format-3 record, as block_encoder::write lays it out, read as summarize() reads a record.
void read_v3_record(reader& r, const stored_layout& g, pipeline::flow_summary& s) {
    if (r.in.size() - std::min(r.at, r.in.size()) < g.fixed_size) {
        r.bad = true;
        return;
    }
    proto::record_view record;
    record.data = reinterpret_cast<const uint8_t*>(r.in.data()) + r.at;
    const uint8_t flags = record.data[0];
    r.at += g.fixed_size;
    const pipeline::summary_layout& l = g.fields;
    s.source = pipeline::address_value(record, l.source);
    s.destination = pipeline::address_value(record, l.destination);
    s.source_port = static_cast<uint16_t>(pipeline::value_at(record, l.source_port));
    s.destination_port = static_cast<uint16_t>(pipeline::value_at(record, l.destination_port));
    s.protocol = static_cast<uint8_t>(pipeline::value_at(record, l.protocol));
    s.source_as_filled = (flags & v3_source_filled) != 0;
    s.destination_as_filled = (flags & v3_destination_filled) != 0;
    s.source_as = read_forwarded_as(r, s.source_as_filled, g.source_as_width);
    s.destination_as = read_forwarded_as(r, s.destination_as_filled, g.destination_as_width);
    s.source_country = {};
    s.destination_country = {};
    if (flags & v3_source_country) s.source_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
    if (flags & v3_destination_country) {
        s.destination_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
    }
    s.bytes = pipeline::value_at(record, l.octets);
    s.packets = pipeline::value_at(record, l.packets);
    s.input_interface = static_cast<uint32_t>(pipeline::value_at(record, l.input_interface));
    s.output_interface = static_cast<uint32_t>(pipeline::value_at(record, l.output_interface));
    s.flow_start_ms = pipeline::flow_start_ms(record, l, g.header);
    s.flow_end_ms = pipeline::flow_end_ms(record, l, g.header);
    if (flags & v3_reserved) r.bad = true;
}

bool decode_grouped_block(std::string_view value, uint8_t version,
                          const std::function<bool(const pipeline::flow_summary&)>& each) {
    reader h{value};
    block_info info;
    size_t table_at = 0;
    if (!read_grouped_info(h, info, table_at)) return false;
    reader t{value, table_at};
    const uint64_t exporters = t.bounded<uint64_t>(max_block_exporters);
    std::vector<pipeline::flow_summary> table(t.bad ? 0 : exporters);
    for (auto& e : table) {
        e.exporter = t.address();
        e.exporter_port = t.bounded<uint16_t>();
    }
    if (t.bad || t.at != value.size()) return false;
    reader r{value.substr(0, table_at), header_size};
    uint64_t seen = 0;
    uint64_t delivered = 0;
    while (r.at < r.in.size()) {
        pipeline::flow_summary s;
        seen = unzigzag(seen, r.varint());
        const uint64_t exporter = r.varint();
        if (r.bad || exporter >= table.size()) return false;
        s.seen_ms = seen;
        s.exporter = table[exporter].exporter;
        s.exporter_port = table[exporter].exporter_port;
        s.version = r.byte();
        s.domain = r.bounded<uint32_t>();
        s.template_id = r.bounded<uint16_t>();
        const uint64_t count = r.bounded<uint32_t>(max_group_records);
        if (r.bad || count == 0 || delivered + count > info.records) return false;
        stored_layout layout;
        if (version == 3 && !read_v3_layout(r, s.version, layout)) return false;
        if (seen < info.first_seen_ms || seen > info.last_seen_ms) return false;
        for (uint64_t i = 0; i < count; ++i) {
            if (version == 2) {
                const uint8_t flags = r.byte();
                read_record_body(r, flags, seen, s);
                if ((flags & reserved_flags) != 0) return false;
            } else {
                read_v3_record(r, layout, s);
            }
            if (r.bad) return false;
            ++delivered;
            if (!each(s)) return true;
        }
    }
    return delivered == info.records;
}

}  // namespace

bool read_block_info(std::string_view value, block_info& info) {
    if (value.size() < 2 || static_cast<uint8_t>(value[0]) != block_magic) return false;
    if (value[1] == 1) return read_v1_info(value, info);
    if (value[1] != 2 && value[1] != block_version) return false;
    reader r{value};
    size_t table_at = 0;
    return read_grouped_info(r, info, table_at);
}

bool decode_block(std::string_view value, const std::function<bool(const pipeline::flow_summary&)>& each) {
    if (value.size() < 2 || static_cast<uint8_t>(value[0]) != block_magic) return false;
    if (value[1] == 1) return decode_v1_block(value, each);
    if (value[1] != 2 && value[1] != block_version) return false;
    return decode_grouped_block(value, static_cast<uint8_t>(value[1]), each);
}

}  // namespace ipfix::store
