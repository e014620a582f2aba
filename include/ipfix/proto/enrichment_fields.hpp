// The four values enrichment reads from every record of a decoded message (source and
// destination address, source and destination AS number), the same values the record_view
// accessors give, handed over a run of records of one template at a time. Where each value sits
// at the same offset and size in every record of a template (template_def::fixed_enrichment:
// any fixed-length template, and variable-length ones that have them before their first
// variable-length field), the loop over a run is compiled for those sizes, picked with one jump
// per run (template_def::enrichment_shape): no branch per record on them and no address built
// in memory, which per record cost the accessors' callers more than the decoding itself.
//
//   for_each_enrichment_fields(msg, [&](size_t i, const record_view& r, const enrichment_fields& v) {
//       if (v.source_address.size != 0) lookup(v.source_address.address(), v.source_as);
//   });
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "ipfix/proto/byte_order.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/ip_address.hpp"
#include "ipfix/proto/record_view.hpp"

namespace ipfix::proto {

// An address as the record holds it: 4 bytes (IPv4), 16 (IPv6), or none (size 0).
struct address_bytes {
    const uint8_t* data = nullptr;
    size_t size = 0;

    ip_address address() const { return ip_address::of_size(data, size); }
};

// Valid during the call that hands them over only (an address may point at a copy).
struct enrichment_fields {
    address_bytes source_address;
    address_bytes destination_address;
    std::optional<uint64_t> source_as;
    std::optional<uint64_t> destination_as;
};

namespace detail {

// An AS number of the width W (0: absent, 2 or 4) a run's template gives it.
template <size_t W>
std::optional<uint64_t> as_of_width(const uint8_t* p) {
    if constexpr (W == 4) return load_be32(p);
    else if constexpr (W == 2) return load_be16(p);
    else return std::nullopt;
}

// The loop over records begin..end of one run, compiled for its template's shape.
template <uint8_t Shape, class F>
void compiled_run(const record_view* first, size_t begin, size_t end, const enrichment_locs& l, F& f) {
    constexpr size_t a = shape_address_size(Shape);
    for (size_t i = begin; i < end; ++i) {
        const uint8_t* p = first[i].data;
        f(i, first[i],
          enrichment_fields{{p + l.source_address.offset, a}, {p + l.destination_address.offset, a},
                            as_of_width<shape_source_as_size(Shape)>(p + l.source_as.offset),
                            as_of_width<shape_destination_as_size(Shape)>(p + l.destination_as.offset)});
    }
}

// One jump to the run's loop (a table, where testing the sizes one by one took a chain of
// compares and branches per run); false for shape 0.
template <class F>
bool compiled_run_of_shape(uint8_t shape, const record_view* first, size_t begin, size_t end, const enrichment_locs& l,
                           F& f) {
    switch (shape) {
    case 1: compiled_run<1>(first, begin, end, l, f); return true;
    case 2: compiled_run<2>(first, begin, end, l, f); return true;
    case 3: compiled_run<3>(first, begin, end, l, f); return true;
    case 4: compiled_run<4>(first, begin, end, l, f); return true;
    case 5: compiled_run<5>(first, begin, end, l, f); return true;
    case 6: compiled_run<6>(first, begin, end, l, f); return true;
    case 7: compiled_run<7>(first, begin, end, l, f); return true;
    case 8: compiled_run<8>(first, begin, end, l, f); return true;
    case 9: compiled_run<9>(first, begin, end, l, f); return true;
    case 10: compiled_run<10>(first, begin, end, l, f); return true;
    case 11: compiled_run<11>(first, begin, end, l, f); return true;
    case 12: compiled_run<12>(first, begin, end, l, f); return true;
    case 13: compiled_run<13>(first, begin, end, l, f); return true;
    case 14: compiled_run<14>(first, begin, end, l, f); return true;
    case 15: compiled_run<15>(first, begin, end, l, f); return true;
    case 16: compiled_run<16>(first, begin, end, l, f); return true;
    case 17: compiled_run<17>(first, begin, end, l, f); return true;
    case 18: compiled_run<18>(first, begin, end, l, f); return true;
    default: return false;
    }
}

}  // namespace detail

// Calls f(index, record, fields) for every record of `msg`, in order, options records included.
template <class F>
void for_each_enrichment_fields(const decoded_message& msg, F&& f) {
    const record_view* recs = msg.records.data();
    size_t begin = 0;
    for (const uint32_t end : msg.run_ends) {
        const template_def* t = recs[begin].tmpl;
        if (!detail::compiled_run_of_shape(t->enrichment_shape, recs, begin, end, t->fixed, f)) {
            for (size_t i = begin; i < end; ++i) {
                const record_view& r = recs[i];
                const ip_address src = r.source_address();
                const ip_address dst = r.destination_address();
                f(i, r,
                  enrichment_fields{{src.bytes.data(), src.size()}, {dst.bytes.data(), dst.size()}, r.source_as(),
                                    r.destination_as()});
            }
        }
        begin = end;
    }
}

}  // namespace ipfix::proto
