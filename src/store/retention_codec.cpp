#include "ipfix/store/retention_codec.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

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
// The most a record takes: its control word, two IPv6 addresses, ports and protocol, two
// countries, and eight values, each stored as 8 bytes before the next one overwrites the tail.
constexpr size_t max_record_size = 4 + 2 * 16 + 5 + 2 * 2 + 8 * 8;
constexpr size_t max_group_header = 10 + 3 + 1 + 5 + 3 + 3;

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

// A record's values after its fixed fields, in this order, each with a 3-bit length code in the
// control word: source AS, destination AS, bytes, packets, input and output interface, flow
// start and end (zigzag deltas from the seen time).
constexpr size_t value_count = 8;

// The control word's address family: 0 none, 1 IPv4, 2 IPv6 (from a length of 0, 4 or 16).
uint32_t family_code(uint8_t length) { return (length >> 2) - (length >> 3); }

// The bytes each value's length code stands for: 0..6, and 7 for a full 8.
constexpr uint8_t code_bytes[8] = {0, 1, 2, 3, 4, 5, 6, 8};

// The shortest code that holds v: no loop and no branch, where a varint's byte-by-byte loop
// mispredicted on every record whose values changed length.
unsigned length_code(uint64_t v) {
    // bit_width, without the branch on zero it compiles to.
    const unsigned bits = 64 - static_cast<unsigned>(__builtin_clzll(v | 1)) - (v == 0);
    const unsigned bytes = (bits + 7) / 8;
    return bytes - (bytes >> 3);
}

// Stores all 8 bytes little-endian and moves on by the code's length: the next value overwrites
// the rest (the caller leaves room for it).
uint8_t* put_value(uint8_t* p, uint64_t v, unsigned code) {
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
    return p + code_bytes[code];
}

}  // namespace

struct block_encoder::record_fields {
    const uint8_t* source = nullptr;
    const uint8_t* destination = nullptr;
    uint8_t source_length = 0, destination_length = 0;  // 0, 4 or 16
    uint8_t protocol = 0;
    bool source_filled = false, destination_filled = false;
    uint16_t source_port = 0, destination_port = 0;
    uint32_t source_as = 0, destination_as = 0;
    std::array<char, 2> source_country{}, destination_country{};
    uint64_t bytes = 0, packets = 0;
    uint32_t input_interface = 0, output_interface = 0;
    uint64_t start_ms = 0, end_ms = 0;  // 0: absent
};

block_encoder::block_encoder() : buf_(64 << 10), size_(header_size) {}

uint8_t* block_encoder::room(size_t n) {
    if (buf_.size() - size_ < n) buf_.resize(std::max(buf_.size() * 2, size_ + n));
    return buf_.data() + size_;
}

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

void block_encoder::group(uint64_t seen_ms, uint16_t exporter, uint8_t version, uint32_t domain, uint16_t template_id) {
    // A datagram's records join a group without this check: leave room for a whole one.
    if (group_records_ != 0 && group_records_ < max_group_records - UINT16_MAX && seen_ms == group_seen_ms_ &&
        exporter == group_exporter_ && version == group_version_ && domain == group_domain_ &&
        template_id == group_template_) {
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
    size_ = group_count_at_ + 3;
    group_seen_ms_ = seen_ms;
    group_exporter_ = exporter;
    group_version_ = version;
    group_domain_ = domain;
    group_template_ = template_id;
}

void block_encoder::close_group() {
    if (group_records_ == 0) return;
    uint8_t* p = buf_.data() + group_count_at_;
    p[0] = static_cast<uint8_t>((group_records_ & 0x7f) | 0x80);
    p[1] = static_cast<uint8_t>(((group_records_ >> 7) & 0x7f) | 0x80);
    p[2] = static_cast<uint8_t>(group_records_ >> 14);
    group_records_ = 0;
}

void block_encoder::write(const record_fields& f, uint64_t seen_ms) {
    const bool source_country = f.source_country[0] != 0 || f.source_country[1] != 0;
    const bool destination_country = f.destination_country[0] != 0 || f.destination_country[1] != 0;
    const uint64_t values[value_count] = {f.source_as,       f.destination_as,   f.bytes,
                                            f.packets,         f.input_interface,  f.output_interface,
                                            zigzag(seen_ms, f.start_ms), zigzag(seen_ms, f.end_ms)};
    unsigned codes[value_count];
    for (size_t i = 0; i < value_count; ++i) codes[i] = length_code(values[i]);
    // A flow time's code 0 says it is absent; a present one takes a byte even when it equals seen.
    codes[6] = f.start_ms != 0 ? std::max(codes[6], 1u) : 0;
    codes[7] = f.end_ms != 0 ? std::max(codes[7], 1u) : 0;
    uint32_t control = family_code(f.source_length) | family_code(f.destination_length) << 2 |
                       uint32_t{f.source_filled} << 4 | uint32_t{f.destination_filled} << 5 |
                       uint32_t{source_country} << 6 | uint32_t{destination_country} << 7;
    for (size_t i = 0; i < value_count; ++i) control |= codes[i] << (8 + 3 * i);

    uint8_t* p = room(max_record_size);
    uint8_t* const start = p;
    p = put_value(p, control, 4);
    p = put_address_bytes(p, f.source, f.source_length);
    p = put_address_bytes(p, f.destination, f.destination_length);
    p = put_value(p, f.source_port, 2);
    p = put_value(p, f.destination_port, 2);
    *p++ = f.protocol;
    // Both countries stored, each kept only when present: no branch on the data.
    std::memcpy(p, f.source_country.data(), 2);
    p += 2 * source_country;
    std::memcpy(p, f.destination_country.data(), 2);
    p += 2 * destination_country;
    for (size_t i = 0; i < value_count; ++i) p = put_value(p, values[i], codes[i]);
    size_ += static_cast<size_t>(p - start);
    ++group_records_;
    ++records_;
}

void block_encoder::add(const pipeline::flow_summary& s) {
    start_record(s.seen_ms);
    group(s.seen_ms, exporter_index(s.exporter, s.exporter_port), s.version, s.domain, s.template_id);
    record_fields f;
    f.source = s.source.bytes.data();
    f.source_length = static_cast<uint8_t>(s.source.size());
    f.destination = s.destination.bytes.data();
    f.destination_length = static_cast<uint8_t>(s.destination.size());
    f.source_port = s.source_port;
    f.destination_port = s.destination_port;
    f.protocol = s.protocol;
    f.source_as = s.source_as;
    f.destination_as = s.destination_as;
    f.source_country = s.source_country;
    f.destination_country = s.destination_country;
    f.bytes = s.bytes;
    f.packets = s.packets;
    f.input_interface = s.input_interface;
    f.output_interface = s.output_interface;
    f.start_ms = s.flow_start_ms;
    f.end_ms = s.flow_end_ms;
    f.source_filled = s.source_as_filled;
    f.destination_filled = s.destination_as_filled;
    write(f, s.seen_ms);
}

size_t block_encoder::add(const pipeline::tapped_datagram& d) {
    const proto::decoded_message& m = d.message;
    const uint16_t exporter = exporter_index(m.stream.exporter.address, m.stream.exporter.port);
    const auto version = static_cast<uint8_t>(m.header.version);
    const proto::template_def* laid_out = nullptr;
    pipeline::summary_layout l;
    size_t n = 0;
    start_record(d.seen_ms);  // one seen time for the whole datagram
    for (size_t i = 0; i < m.records.size(); ++i) {
        const proto::record_view& r = m.records[i];
        if (r.tmpl->options) continue;
        // Fixed-length templates place every record's fields alike: looked up once a set, and
        // the group (the rest of its key is the datagram's) changes only with the template.
        if (r.tmpl != laid_out) group(d.seen_ms, exporter, version, m.header.domain, r.tmpl->id);
        if (r.tmpl != laid_out || r.tmpl->variable) {
            l = pipeline::layout_of(r);
            laid_out = r.tmpl;
        }
        const mediate::record_values& v = d.values[i];
        record_fields f;
        f.source = r.data + l.source.offset;
        f.source_length = static_cast<uint8_t>(l.source.length);
        f.destination = r.data + l.destination.offset;
        f.destination_length = static_cast<uint8_t>(l.destination.length);
        f.source_port = static_cast<uint16_t>(pipeline::value_at(r, l.source_port));
        f.destination_port = static_cast<uint16_t>(pipeline::value_at(r, l.destination_port));
        f.protocol = static_cast<uint8_t>(pipeline::value_at(r, l.protocol));
        f.source_as = pipeline::forwarded_as(r, l.source_as, v.write_source_as, v.source_as);
        f.destination_as = pipeline::forwarded_as(r, l.destination_as, v.write_destination_as, v.destination_as);
        f.source_country = v.source_country;
        f.destination_country = v.destination_country;
        f.bytes = pipeline::value_at(r, l.octets);
        f.packets = pipeline::value_at(r, l.packets);
        f.input_interface = static_cast<uint32_t>(pipeline::value_at(r, l.input_interface));
        f.output_interface = static_cast<uint32_t>(pipeline::value_at(r, l.output_interface));
        f.start_ms = pipeline::flow_start_ms(r, l, m.header);
        f.end_ms = pipeline::flow_end_ms(r, l, m.header);
        f.source_filled = v.write_source_as;
        f.destination_filled = v.write_destination_as;
        write(f, d.seen_ms);
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

// A format-3 record, as block_encoder::write lays it out. Codes the writer never makes (a
// family of 3, an AS number or interface over 4 bytes) make the block bad.
void read_v3_record(reader& r, uint64_t seen, pipeline::flow_summary& s) {
    const auto control = static_cast<uint32_t>(r.fixed(4));
    const auto code = [control](size_t i) { return (control >> (8 + 3 * i)) & 7; };
    constexpr uint8_t family_of_code[4] = {0, 4, 6, 255};  // 255: refused by address_of
    s.source = r.address_of(family_of_code[control & 3]);
    s.destination = r.address_of(family_of_code[control >> 2 & 3]);
    s.source_port = static_cast<uint16_t>(r.fixed(2));
    s.destination_port = static_cast<uint16_t>(r.fixed(2));
    s.protocol = r.byte();
    s.source_as_filled = (control & 16) != 0;
    s.destination_as_filled = (control & 32) != 0;
    s.source_country = {};
    s.destination_country = {};
    if (control & 64) s.source_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
    if (control & 128) s.destination_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
    uint64_t values[value_count];
    for (size_t i = 0; i < value_count; ++i) values[i] = r.fixed(code_bytes[code(i)]);
    for (const size_t i : {0, 1, 4, 5}) {
        if (code(i) > 4) r.bad = true;
    }
    s.source_as = static_cast<uint32_t>(values[0]);
    s.destination_as = static_cast<uint32_t>(values[1]);
    s.bytes = values[2];
    s.packets = values[3];
    s.input_interface = static_cast<uint32_t>(values[4]);
    s.output_interface = static_cast<uint32_t>(values[5]);
    s.flow_start_ms = code(6) != 0 ? unzigzag(seen, values[6]) : 0;
    s.flow_end_ms = code(7) != 0 ? unzigzag(seen, values[7]) : 0;
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
        if (seen < info.first_seen_ms || seen > info.last_seen_ms) return false;
        for (uint64_t i = 0; i < count; ++i) {
            if (version == 2) {
                const uint8_t flags = r.byte();
                read_record_body(r, flags, seen, s);
                if ((flags & reserved_flags) != 0) return false;
            } else {
                read_v3_record(r, seen, s);
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
