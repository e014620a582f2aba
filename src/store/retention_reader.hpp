// Bounds-checked reads over an untrusted retention block, shared by the readers of each block
// format: any fault sets `bad` and yields zeros, so a caller checks once per record.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>

#include "ipfix/proto/ip_address.hpp"
#include "ipfix/store/retention_codec.hpp"

namespace ipfix::store::detail {

// Record flags, the same bits in formats 1 and 2.
enum record_flag : uint8_t {
    source_filled = 1,
    destination_filled = 2,
    has_start = 4,
    has_end = 8,
    has_source_country = 16,
    has_destination_country = 32,
    has_interfaces = 64,
    reserved_flags = 128,
};

// Bounds on untrusted headers: far above what the writer makes, far below what would hurt.
constexpr uint64_t max_block_records = 1u << 20;
constexpr uint64_t max_block_exporters = 1u << 16;

inline uint64_t unzigzag(uint64_t from, uint64_t z) {
    const uint64_t d = (z >> 1) ^ (~(z & 1) + 1);
    return from + d;
}

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
    // Little-endian, `n` bytes.
    uint64_t fixed(size_t n) {
        if (in.size() - std::min(at, in.size()) < n) {
            bad = true;
            return 0;
        }
        uint64_t v = 0;
        for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
        at += n;
        return v;
    }
    // A family byte (0, 4 or 6), then the address's bytes.
    proto::ip_address address() { return address_of(byte()); }
    // The bytes of an address of `family` (0: none, 4 or 6; anything else is bad).
    proto::ip_address address_of(uint8_t family) {
        proto::ip_address a;
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

// A record's fields after its flags (and, in format 1, its seen time, exporter and stream), the
// same in formats 1 and 2: addresses, ports, protocol, AS numbers, countries, counters,
// interfaces, flow times (relative to `seen`). Fields the flags leave out are zeroed.
inline void read_record_body(reader& r, uint8_t flags, uint64_t seen, pipeline::flow_summary& s) {
    s.source = r.address();
    s.destination = r.address();
    s.source_port = r.bounded<uint16_t>();
    s.destination_port = r.bounded<uint16_t>();
    s.protocol = r.byte();
    s.source_as = r.bounded<uint32_t>();
    s.destination_as = r.bounded<uint32_t>();
    s.source_as_filled = (flags & source_filled) != 0;
    s.destination_as_filled = (flags & destination_filled) != 0;
    s.source_country = {};
    s.destination_country = {};
    if (flags & has_source_country) s.source_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
    if (flags & has_destination_country) s.destination_country = {static_cast<char>(r.byte()), static_cast<char>(r.byte())};
    s.bytes = r.varint();
    s.packets = r.varint();
    s.input_interface = 0;
    s.output_interface = 0;
    if (flags & has_interfaces) {
        s.input_interface = r.bounded<uint32_t>();
        s.output_interface = r.bounded<uint32_t>();
    }
    s.flow_start_ms = (flags & has_start) ? unzigzag(seen, r.varint()) : 0;
    s.flow_end_ms = (flags & has_end) ? unzigzag(seen, r.varint()) : 0;
}

// Format 1 (blocks written before format 2; read, never written): the block's magic and
// version checked by the caller.
bool read_v1_info(std::string_view value, block_info& info);
bool decode_v1_block(std::string_view value, const std::function<bool(const pipeline::flow_summary&)>& each);

}  // namespace ipfix::store::detail
