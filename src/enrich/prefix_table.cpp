#include "ipfix/enrich/prefix_table.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace ipfix::enrich {

namespace {

void check_parts(const table_parts& p) {
    if (p.attributes.empty() || p.attributes[0] != as_attributes{})
        throw std::invalid_argument("prefix_table: attribute row 0 must be empty");
    if (p.orgs.empty() || !p.orgs[0].empty()) throw std::invalid_argument("prefix_table: org name 0 must be empty");
    if (p.attributes.size() >= v4_alias_base) throw std::invalid_argument("prefix_table: too many attribute rows");
    for (const auto& a : p.attributes)
        if (a.org >= p.orgs.size()) throw std::invalid_argument("prefix_table: org index out of range");
    const auto rows = p.attributes.size();
    for (const auto& s : p.v4)
        if (s.value >= rows) throw std::invalid_argument("prefix_table: IPv4 value out of range");
    for (const auto& s : p.v6)
        if (s.value >= rows && (s.value < v4_alias_base || s.value > v4_alias_base + 96))
            throw std::invalid_argument("prefix_table: IPv6 value out of range");
}

}  // namespace

prefix_table::prefix_table() : attributes_(1), org_offsets_{0, 0} {
    stats_.attributes = 1;
    stats_.orgs = 1;
    stats_.memory_bytes = v4_.memory_bytes() + v6_.memory_bytes();
}

prefix_table::prefix_table(table_parts parts) {
    check_parts(parts);
    v4_ = dir24_8(parts.v4);
    v6_ = decltype(v6_)(parts.v6);
    attributes_ = std::move(parts.attributes);
    sources_ = std::move(parts.sources);

    size_t total = 0;
    for (const auto& o : parts.orgs) total += o.size();
    if (total > std::numeric_limits<uint32_t>::max()) throw std::invalid_argument("prefix_table: names too long");
    org_blob_.reserve(total);
    org_offsets_.reserve(parts.orgs.size() + 1);
    for (const auto& o : parts.orgs) {
        org_offsets_.push_back(static_cast<uint32_t>(org_blob_.size()));
        org_blob_ += o;
    }
    org_offsets_.push_back(static_cast<uint32_t>(org_blob_.size()));

    stats_.v4_segments = parts.v4.size();
    stats_.v6_segments = parts.v6.size();
    stats_.v4_groups = v4_.group_count();
    stats_.v6_nodes = v6_.node_count();
    stats_.attributes = attributes_.size();
    stats_.orgs = parts.orgs.size();
    stats_.memory_bytes = v4_.memory_bytes() + v6_.memory_bytes() + attributes_.capacity() * sizeof(as_attributes) +
                          org_blob_.capacity() + org_offsets_.capacity() * sizeof(uint32_t);
}

void prefix_table::find_burst(std::span<const proto::ip_address> in, uint32_t* out) const noexcept {
    // IPv4 takes one load (two past a /24): prefetching the chunk's entries and then looking each
    // up costs less than gathering the keys for a batch and scattering the results back, which
    // the IPv6 walks of several dependent loads are worth.
    constexpr size_t chunk = 64;
    uint32_t r6[chunk];
    u128 k6[chunk];
    uint8_t at6[chunk];
    for (size_t base = 0; base < in.size(); base += chunk) {
        const size_t m = std::min(chunk, in.size() - base);
        const proto::ip_address* a = in.data() + base;
        size_t n6 = 0;
        uint64_t walked = 0;  // bit i: in[base + i] is in the IPv6 batch
        for (size_t i = 0; i < m; ++i) {
            if (a[i].family == 4) {
                v4_.prefetch(v4_key(a[i].bytes.data()));
            } else if (a[i].family == 6 && !is_v4_mapped(a[i].bytes.data())) {
                k6[n6] = v6_key(a[i].bytes.data());
                at6[n6++] = static_cast<uint8_t>(i);
                walked |= uint64_t{1} << i;
            }
        }
        v6_.find_batch(k6, r6, n6);
        // IPv4, IPv4-mapped IPv6 and empty addresses.
        for (size_t i = 0; i < m; ++i)
            if (!((walked >> i) & 1)) out[base + i] = find(a[i]);
        for (size_t j = 0; j < n6; ++j) {
            uint32_t v = r6[j];
            if (v >= v4_alias_base) [[unlikely]]
                v = v4_.find(static_cast<uint32_t>(static_cast<u128>(k6[j] << (v - v4_alias_base)) >> 96));
            out[base + at6[j]] = v;
        }
    }
}

as_info prefix_table::info(uint32_t index) const noexcept {
    const as_attributes& a = attributes_[index];
    return as_info{index != 0, a.asn, org_name(a.org), a.country_code()};
}

}  // namespace ipfix::enrich
