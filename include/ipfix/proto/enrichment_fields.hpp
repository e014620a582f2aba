// The four values enrichment reads from every record of a decoded message (source and
// destination address, source and destination AS number), the same values the record_view
// accessors give, handed over a run of records of one template at a time. Where each value sits
// at the same offset and size in every record of a template (template_def::fixed_enrichment:
// any fixed-length template, and variable-length ones that have them before their first
// variable-length field), the loop over a run is compiled for those sizes: no branch per record
// on them and no address built in memory, which per record cost the accessors' callers more
// than the decoding itself.
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

template <size_t A, size_t S, size_t D, class F>
void compiled_run(const record_view* first, size_t begin, size_t end, const enrichment_locs& l, F& f) {
    for (size_t i = begin; i < end; ++i) {
        const uint8_t* p = first[i].data;
        f(i, first[i],
          enrichment_fields{{p + l.source_address.offset, A}, {p + l.destination_address.offset, A},
                            as_of_width<S>(p + l.source_as.offset), as_of_width<D>(p + l.destination_as.offset)});
    }
}

template <size_t A, size_t S, class F>
void compiled_run_by_destination_as(const record_view* first, size_t begin, size_t end, const enrichment_locs& l, F& f) {
    switch (l.destination_as.length) {
    case 4: return compiled_run<A, S, 4>(first, begin, end, l, f);
    case 2: return compiled_run<A, S, 2>(first, begin, end, l, f);
    default: return compiled_run<A, S, 0>(first, begin, end, l, f);
    }
}

template <size_t A, class F>
void compiled_run_by_source_as(const record_view* first, size_t begin, size_t end, const enrichment_locs& l, F& f) {
    switch (l.source_as.length) {
    case 4: return compiled_run_by_destination_as<A, 4>(first, begin, end, l, f);
    case 2: return compiled_run_by_destination_as<A, 2>(first, begin, end, l, f);
    default: return compiled_run_by_destination_as<A, 0>(first, begin, end, l, f);
    }
}

// The shapes nearly every exporter sends: both addresses of one family, AS numbers of 2 or 4
// bytes or none, at the same place in every record. Anything else (a template with one family
// each way, an 8-byte AS, an address after a variable-length field) goes the accessors' way.
inline bool has_compiled_run(const template_def& t) {
    const enrichment_locs& l = t.fixed;
    auto usual_as = [](uint16_t n) { return n == 0 || n == 2 || n == 4; };
    return t.fixed_enrichment && l.source_address.length == l.destination_address.length &&
           (l.source_address.length == 4 || l.source_address.length == 16) && usual_as(l.source_as.length) &&
           usual_as(l.destination_as.length);
}

}  // namespace detail

// Calls f(index, record, fields) for every record of `msg`, in order, options records included.
template <class F>
void for_each_enrichment_fields(const decoded_message& msg, F&& f) {
    const record_view* recs = msg.records.data();
    size_t begin = 0;
    for (const uint32_t end : msg.run_ends) {
        const template_def* t = recs[begin].tmpl;
        if (detail::has_compiled_run(*t)) {
            if (t->fixed.source_address.length == 4) detail::compiled_run_by_source_as<4>(recs, begin, end, t->fixed, f);
            else detail::compiled_run_by_source_as<16>(recs, begin, end, t->fixed, f);
        } else {
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
