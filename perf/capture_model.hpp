// The synthetic but router-like IPFIX traffic the decode benchmark runs on: exporters (IPv4
// and IPv6 addresses), their observation domains, the templates each exports (flow templates
// with full- and reduced-size fields, IPv6 flows, a variable-length one, options templates)
// and random flow records for them. Everything derives from one seed, so a given seed always
// yields the same capture.
//
//   perf::rng r(seed);
//   std::vector<perf::exporter_profile> ex = perf::make_exporters(r, 20);
//   size_t n = perf::write_record(r, ex[0].templates[0], export_ms, buf);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipfix/proto/field.hpp"
#include "ipfix/proto/ip_address.hpp"

namespace ipfix::perf {

// splitmix64: tiny, fast, and the same sequence on every platform and library (unlike the
// standard distributions).
class rng {
public:
    explicit rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n), n > 0.
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
    // Uniform in [lo, hi].
    uint32_t between(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
    bool chance(uint32_t percent) { return below(100) < percent; }

private:
    uint64_t state_;
};

enum class template_kind : uint8_t {
    v4_full,       // router flow, full-size fields
    v4_reduced,    // same, 2-byte AS/interfaces, 4-byte counters
    v4_basic,      // sampled edge flow, second timestamps, no routing fields
    v4_nat,        // CGNAT event: post-NAT address and port
    v4_app,        // application-aware flow with a variable-length applicationName
    v6_full,
    v6_reduced,
    v6_basic,
    opt_exporter,  // options: exporting process statistics per domain
    opt_sampler,   // options: sampling configuration
    opt_interface  // options: interface names (variable-length strings)
};

struct flow_template {
    uint16_t id = 0;
    template_kind kind = template_kind::v4_full;
    uint16_t scope_count = 0;  // options templates only
    std::vector<proto::field_spec> fields;
    uint32_t weight = 0;       // share of this exporter's data records (0 for options)
};

struct exporter_profile {
    proto::ip_address address;
    uint16_t port = 0;
    std::vector<uint32_t> domains;
    std::vector<flow_template> templates;
    uint32_t weight = 0;  // share of the capture's messages
    uint32_t total_template_weight = 0;
};

std::vector<exporter_profile> make_exporters(rng& r, size_t count, size_t v6_count);

bool is_options(template_kind k);
bool is_ipv6(template_kind k);

// Rows an options template has per refresh (interfaces: one per row; others: one).
uint32_t option_rows(template_kind k);

// Writes one random record of `t` into `out` (at least 512 bytes); returns its length.
// `export_ms` anchors the flow timestamps; `domain` fills the exporter-statistics scope;
// `row` picks the options row (interface) and is ignored by flow templates.
size_t write_record(rng& r, const flow_template& t, uint64_t export_ms, uint32_t domain, uint32_t row,
                    std::span<uint8_t> out);

}  // namespace ipfix::perf
