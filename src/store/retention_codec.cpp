#include "ipfix/store/retention_codec.hpp"

#include <algorithm>
#include <limits>

namespace ipfix::store {
namespace {

constexpr char block_magic = 'R';
constexpr char block_version = 1;
// Bounds on untrusted headers: far above what the writer makes, far below what would hurt.
constexpr uint64_t max_block_records = 1u << 20;
constexpr uint64_t max_block_exporters = 1u << 16;

enum flag : uint8_t {
    source_filled = 1,
    destination_filled = 2,
    has_start = 4,
    has_end = 8,
    has_source_country = 16,
    has_destination_country = 32,
    has_interfaces = 64,
};

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

uint64_t zigzag(uint64_t from, uint64_t to) {
    const int64_t d = static_cast<int64_t>(to - from);
    return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
}

uint64_t unzigzag(uint64_t from, uint64_t z) {
    const uint64_t d = (z >> 1) ^ (~(z & 1) + 1);
    return from + d;
}

void put_address(std::string& out, const proto::ip_address& a) {
    out.push_back(static_cast<char>(a.family));
    out.append(reinterpret_cast<const char*>(a.bytes.data()), a.size());
}

// One record is encoded into a stack buffer and appended once: a push_back per byte costs the
// drain more than everything else it does.
class record_writer {
public:
    // The most one record takes: 8 varints of up to 10 bytes, 9 of up to 5, three addresses.
    static constexpr size_t max_size = 8 * 10 + 9 * 5 + 3 * 17 + 8;

    void byte(uint8_t b) { buf_[n_++] = b; }
    void varint(uint64_t v) {
        while (v >= 0x80) {
            buf_[n_++] = static_cast<uint8_t>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        buf_[n_++] = static_cast<uint8_t>(v);
    }
    void address(const proto::ip_address& a) {
        buf_[n_++] = a.family;
        const size_t len = a.size();
        std::copy_n(a.bytes.data(), len, buf_ + n_);
        n_ += len;
    }
    void chars(const std::array<char, 2>& c) {
        buf_[n_++] = static_cast<uint8_t>(c[0]);
        buf_[n_++] = static_cast<uint8_t>(c[1]);
    }
    void append_to(std::string& out) const { out.append(reinterpret_cast<const char*>(buf_), n_); }

private:
    uint8_t buf_[max_size];
    size_t n_ = 0;
};

// Bounds-checked reads over an untrusted value; any fault sets `bad` and yields zeros.
struct reader {
    std::string_view in;
    size_t at = 0;
    bool bad = false;

    uint8_t byte() {
        if (at >= in.size()) {
            bad = true;
            return 0;
        }
        return static_cast<uint8_t>(in[at++]);
    }
    uint64_t varint() {
        uint64_t v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            const uint8_t b = byte();
            if (bad) return 0;
            v |= uint64_t{b & 0x7fu} << shift;
            if ((b & 0x80) == 0) return v;
        }
        bad = true;
        return 0;
    }
    template <class T>
    T bounded(uint64_t max = std::numeric_limits<T>::max()) {
        const uint64_t v = varint();
        if (v > max) bad = true;
        return bad ? T{} : static_cast<T>(v);
    }
    proto::ip_address address() {
        proto::ip_address a;
        const uint8_t family = byte();
        if (family != 0 && family != 4 && family != 6) bad = true;
        if (bad) return a;
        a.family = family;
        const size_t n = a.size();
        if (in.size() - at < n) {
            bad = true;
            return {};
        }
        std::copy_n(in.data() + at, n, reinterpret_cast<char*>(a.bytes.data()));
        at += n;
        return a;
    }
};

bool read_header(reader& r, block_info& info, uint64_t& base_seen) {
    if (r.byte() != static_cast<uint8_t>(block_magic) || r.byte() != static_cast<uint8_t>(block_version)) return false;
    info.records = r.bounded<uint32_t>(max_block_records);
    info.first_seen_ms = r.varint();
    info.last_seen_ms = info.first_seen_ms + r.varint();
    base_seen = r.varint();
    return !r.bad;
}

}  // namespace

uint16_t block_encoder::exporter_index(const pipeline::flow_summary& s) {
    // Blocks hold few exporters: a linear scan from the back finds the usual one at once.
    for (size_t i = exporters_.size(); i-- > 0;) {
        if (exporters_[i].port == s.exporter_port && exporters_[i].address == s.exporter) return static_cast<uint16_t>(i);
    }
    exporters_.push_back({s.exporter, s.exporter_port});
    return static_cast<uint16_t>(exporters_.size() - 1);
}

void block_encoder::add(const pipeline::flow_summary& s) {
    if (records_ == 0) {
        base_seen_ms_ = previous_seen_ms_ = first_seen_ms_ = last_seen_ms_ = s.seen_ms;
    }
    first_seen_ms_ = std::min(first_seen_ms_, s.seen_ms);
    last_seen_ms_ = std::max(last_seen_ms_, s.seen_ms);
    uint8_t flags = 0;
    if (s.source_as_filled) flags |= source_filled;
    if (s.destination_as_filled) flags |= destination_filled;
    if (s.flow_start_ms != 0) flags |= has_start;
    if (s.flow_end_ms != 0) flags |= has_end;
    if (s.source_country[0] != 0 || s.source_country[1] != 0) flags |= has_source_country;
    if (s.destination_country[0] != 0 || s.destination_country[1] != 0) flags |= has_destination_country;
    if (s.input_interface != 0 || s.output_interface != 0) flags |= has_interfaces;

    record_writer w;
    w.byte(flags);
    w.varint(zigzag(previous_seen_ms_, s.seen_ms));
    previous_seen_ms_ = s.seen_ms;
    w.varint(exporter_index(s));
    w.byte(s.version);
    w.varint(s.domain);
    w.varint(s.template_id);
    w.address(s.source);
    w.address(s.destination);
    w.varint(s.source_port);
    w.varint(s.destination_port);
    w.byte(s.protocol);
    w.varint(s.source_as);
    w.varint(s.destination_as);
    if (flags & has_source_country) w.chars(s.source_country);
    if (flags & has_destination_country) w.chars(s.destination_country);
    w.varint(s.bytes);
    w.varint(s.packets);
    if (flags & has_interfaces) {
        w.varint(s.input_interface);
        w.varint(s.output_interface);
    }
    if (flags & has_start) w.varint(zigzag(s.seen_ms, s.flow_start_ms));
    if (flags & has_end) w.varint(zigzag(s.seen_ms, s.flow_end_ms));
    w.append_to(body_);
    ++records_;
}

std::string block_encoder::finish() {
    std::string out;
    if (records_ == 0) return out;
    out.reserve(body_.size() + 32 + exporters_.size() * 20);
    out.push_back(block_magic);
    out.push_back(block_version);
    put_varint(out, records_);
    put_varint(out, first_seen_ms_);
    put_varint(out, last_seen_ms_ - first_seen_ms_);
    put_varint(out, base_seen_ms_);
    put_varint(out, exporters_.size());
    for (const exporter_entry& e : exporters_) {
        put_address(out, e.address);
        put_varint(out, e.port);
    }
    out += body_;
    body_.clear();
    exporters_.clear();
    records_ = 0;
    return out;
}

bool read_block_info(std::string_view value, block_info& info) {
    reader r{value};
    uint64_t base = 0;
    return read_header(r, info, base);
}

bool decode_block(std::string_view value, const std::function<bool(const pipeline::flow_summary&)>& each) {
    reader r{value};
    block_info info;
    uint64_t seen = 0;
    if (!read_header(r, info, seen)) return false;
    const uint64_t exporters = r.bounded<uint64_t>(max_block_exporters);
    std::vector<pipeline::flow_summary> table(r.bad ? 0 : exporters);
    for (auto& e : table) {
        e.exporter = r.address();
        e.exporter_port = r.bounded<uint16_t>();
    }
    if (r.bad) return false;
    for (uint32_t i = 0; i < info.records; ++i) {
        pipeline::flow_summary s;
        const uint8_t flags = r.byte();
        seen = unzigzag(seen, r.varint());
        s.seen_ms = seen;
        const uint64_t exporter = r.varint();
        if (exporter >= table.size()) return false;
        s.exporter = table[exporter].exporter;
        s.exporter_port = table[exporter].exporter_port;
        s.version = r.byte();
        s.domain = r.bounded<uint32_t>();
        s.template_id = r.bounded<uint16_t>();
        s.source = r.address();
        s.destination = r.address();
        s.source_port = r.bounded<uint16_t>();
        s.destination_port = r.bounded<uint16_t>();
        s.protocol = r.byte();
        s.source_as = r.bounded<uint32_t>();
        s.destination_as = r.bounded<uint32_t>();
        s.source_as_filled = (flags & source_filled) != 0;
        s.destination_as_filled = (flags & destination_filled) != 0;
        if (flags & has_source_country) s.source_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
        if (flags & has_destination_country)
            s.destination_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
        s.bytes = r.varint();
        s.packets = r.varint();
        if (flags & has_interfaces) {
            s.input_interface = r.bounded<uint32_t>();
            s.output_interface = r.bounded<uint32_t>();
        }
        if (flags & has_start) s.flow_start_ms = unzigzag(s.seen_ms, r.varint());
        if (flags & has_end) s.flow_end_ms = unzigzag(s.seen_ms, r.varint());
        if (r.bad || (flags & 0x80) != 0) return false;
        if (!each(s)) return true;
    }
    return r.at == value.size();
}

}  // namespace ipfix::store
