#include "capture_model.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::perf {
namespace {

using proto::field_spec;
using proto::variable_length;

constexpr uint32_t as_trans = 23456;  // RFC 6793: a 4-byte ASN squeezed into 2 bytes
constexpr uint32_t example_pen = 32473;  // RFC 5612: for documentation

field_spec f(uint16_t id, uint16_t length) { return {id, length, 0, false}; }
field_spec scope(uint16_t id, uint16_t length) { return {id, length, 0, true}; }

std::vector<field_spec> base_fields(template_kind k) {
    switch (k) {
        case template_kind::v4_full:
            return {f(8, 4), f(12, 4), f(7, 2), f(11, 2), f(4, 1), f(5, 1), f(6, 1), f(10, 4), f(14, 4),
                    f(15, 4), f(16, 4), f(17, 4), f(9, 1), f(13, 1), f(2, 8), f(1, 8), f(152, 8), f(153, 8)};
        case template_kind::v4_reduced:
            return {f(8, 4), f(12, 4), f(7, 2), f(11, 2), f(4, 1), f(5, 1), f(6, 1), f(10, 2), f(14, 2),
                    f(15, 4), f(16, 2), f(17, 2), f(9, 1), f(13, 1), f(2, 4), f(1, 4), f(152, 8), f(153, 8)};
        case template_kind::v4_basic:
            return {f(8, 4), f(12, 4), f(7, 2), f(11, 2), f(4, 1), f(6, 1), f(10, 4), f(14, 4),
                    f(2, 4), f(1, 4), f(150, 4), f(151, 4)};
        case template_kind::v4_nat:
            return {f(8, 4), f(12, 4), f(7, 2), f(11, 2), f(4, 1), f(225, 4), f(227, 2), f(233, 1), f(323, 8)};
        case template_kind::v4_app:
            return {f(8, 4), f(12, 4), f(7, 2), f(11, 2), f(4, 1), f(10, 4), f(14, 4), f(16, 4), f(17, 4),
                    f(2, 8), f(1, 8), f(95, 4), f(96, variable_length), f(152, 8), f(153, 8)};
        case template_kind::v6_full:
            return {f(27, 16), f(28, 16), f(7, 2), f(11, 2), f(4, 1), f(5, 1), f(6, 1), f(31, 4), f(10, 4),
                    f(14, 4), f(62, 16), f(16, 4), f(17, 4), f(29, 1), f(30, 1), f(2, 8), f(1, 8), f(152, 8),
                    f(153, 8)};
        case template_kind::v6_reduced:
            return {f(27, 16), f(28, 16), f(7, 2), f(11, 2), f(4, 1), f(5, 1), f(6, 1), f(31, 4), f(10, 2),
                    f(14, 2), f(62, 16), f(16, 2), f(17, 2), f(29, 1), f(30, 1), f(2, 4), f(1, 4), f(152, 8),
                    f(153, 8)};
        case template_kind::v6_basic:
            return {f(27, 16), f(28, 16), f(7, 2), f(11, 2), f(4, 1), f(6, 1), f(10, 4), f(14, 4),
                    f(2, 4), f(1, 4), f(150, 4), f(151, 4)};
        case template_kind::opt_exporter:
            return {scope(149, 4), f(41, 8), f(42, 8), f(40, 8), f(160, 8)};
        case template_kind::opt_sampler:
            return {scope(302, 8), f(304, 2), f(305, 4), f(306, 4)};
        case template_kind::opt_interface:
            return {scope(10, 4), f(82, variable_length), f(83, variable_length)};
    }
    return {};
}

// Optional fields routers add to their flow templates; a random subset makes each template
// of an exporter a distinct definition, as real exporters' template lists are.
std::vector<field_spec> extras(bool v6) {
    std::vector<field_spec> e = {f(58, 2), f(61, 1), f(89, 1), f(136, 1), f(192, 1), {1, 4, example_pen, false}};
    if (v6) e.push_back(f(63, 16));
    else {
        e.push_back(f(32, 2));
        e.push_back(f(18, 4));
    }
    return e;
}

flow_template make_flow_template(rng& r, uint16_t id, template_kind k, uint32_t weight) {
    flow_template t;
    t.id = id;
    t.kind = k;
    t.weight = weight;
    t.fields = base_fields(k);
    if (k == template_kind::v4_nat) return t;  // NAT event templates are fixed by the vendor
    for (const field_spec& e : extras(is_ipv6(k))) {
        if (!r.chance(30)) continue;
        const size_t at = r.between(2, static_cast<uint32_t>(t.fields.size()));
        t.fields.insert(t.fields.begin() + static_cast<std::ptrdiff_t>(at), e);
    }
    return t;
}

// Deterministic pools: a prefix (the top 16 bits of an IPv4 address, or the top 48 of an
// IPv6 one) and the AS that originates it, so addresses and AS numbers agree.
uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}
constexpr uint32_t prefix_pool = 1024;

uint32_t prefix_as(uint32_t prefix) {
    const uint64_t h = mix(prefix * 7919ULL + 17);
    if (h % 10 == 0) return 196608 + static_cast<uint32_t>((h >> 8) % 200000);  // 4-byte ASN
    return 1 + static_cast<uint32_t>((h >> 8) % 64000);
}

void put_v4(rng& r, uint32_t prefix, uint8_t* p) {
    const uint64_t h = mix(prefix);
    const uint32_t top = 1 + static_cast<uint32_t>(h % 223);  // 1..223: unicast
    proto::store_be32(p, (top << 24) | (static_cast<uint32_t>(h >> 16) & 0xFF) << 16 | r.below(65536));
}

void put_v6(rng& r, uint32_t prefix, uint8_t* p) {
    const uint64_t h = mix(prefix + 1000003);
    proto::store_be16(p, 0x2001 + static_cast<uint16_t>(h % 0x0E00));  // 2001::/16 .. 2dff::/16
    proto::store_be32(p + 2, static_cast<uint32_t>(h >> 16));
    proto::store_be16(p + 6, static_cast<uint16_t>(r.below(256)));
    proto::store_be64(p + 8, r.next());
}

struct flow {
    std::array<uint8_t, 16> src{}, dst{}, next_hop{};
    uint32_t src_prefix = 0, dst_prefix = 0;
    uint16_t src_port = 0, dst_port = 0;
    uint8_t protocol = 6, tos = 0, tcp_flags = 0;
    uint32_t in_if = 0, out_if = 0;
    uint64_t packets = 0, octets = 0;
    uint64_t start_ms = 0, end_ms = 0;
};

flow random_flow(rng& r, bool v6, uint64_t export_ms) {
    static constexpr uint16_t services[] = {443, 80, 53, 123, 22, 25, 993, 8080, 3478, 1935};
    flow fl;
    fl.src_prefix = r.below(prefix_pool);
    fl.dst_prefix = r.below(prefix_pool);
    if (v6) {
        put_v6(r, fl.src_prefix, fl.src.data());
        put_v6(r, fl.dst_prefix, fl.dst.data());
        fl.next_hop = {0xFE, 0x80};
        proto::store_be64(fl.next_hop.data() + 8, 0x0200'5EFF'FE00'0000ULL | r.below(256));
    } else {
        put_v4(r, fl.src_prefix, fl.src.data());
        put_v4(r, fl.dst_prefix, fl.dst.data());
        proto::store_be32(fl.next_hop.data(), 0xC633'6400u | r.below(256));  // 198.51.100.0/24
    }
    const uint32_t p = r.below(100);
    fl.protocol = p < 70 ? 6 : p < 97 ? 17 : p < 99 ? 1 : 50;
    const uint16_t service = services[r.below(10)];
    const uint16_t ephemeral = static_cast<uint16_t>(r.between(32768, 60999));
    const bool to_service = r.chance(50);
    fl.src_port = to_service ? ephemeral : service;
    fl.dst_port = to_service ? service : ephemeral;
    if (fl.protocol == 1 || fl.protocol == 50) fl.src_port = fl.dst_port = 0;
    fl.tos = r.chance(80) ? 0 : static_cast<uint8_t>(r.below(64) << 2);
    fl.tcp_flags = fl.protocol == 6 ? static_cast<uint8_t>(0x10 | r.below(0x20)) : 0;
    fl.in_if = r.between(1, 64);
    fl.out_if = r.between(1, 64);
    fl.packets = r.chance(60) ? r.between(1, 10) : r.between(11, 2'000'000);
    fl.octets = fl.packets * r.between(40, 1500);
    fl.end_ms = export_ms - r.below(60'000);
    fl.start_ms = fl.end_ms - r.below(120'000);
    return fl;
}

size_t put_varlen(uint8_t* p, std::string_view s) {
    p[0] = static_cast<uint8_t>(s.size());  // all strings here are under 255 bytes
    std::memcpy(p + 1, s.data(), s.size());
    return 1 + s.size();
}

constexpr std::string_view app_names[] = {
    "https",  "http",          "dns",         "ntp",    "ssh",      "smtp",     "imaps",
    "quic",   "youtube",       "netflix",     "ms-teams", "zoom",   "office365", "bittorrent",
    "rtmp",   "google-services", "whatsapp",  "skype",  "spotify",  "icloud"};
constexpr std::string_view if_names[] = {
    "TenGigE0/0/0/0", "TenGigE0/0/0/1", "HundredGigE0/1/0/0", "Bundle-Ether10", "GigabitEthernet0/0/1",
    "xe-0/0/0", "et-1/0/3", "ae0.100"};
constexpr std::string_view if_descriptions[] = {
    "transit: upstream A", "transit: upstream B", "peering: IX LAN", "core: to cr1", "customer: AS64500",
    "customer: AS64501 backup", "core: to cr2", "mgmt"};

}  // namespace

bool is_options(template_kind k) { return k >= template_kind::opt_exporter; }

bool is_ipv6(template_kind k) {
    return k == template_kind::v6_full || k == template_kind::v6_reduced || k == template_kind::v6_basic;
}

std::vector<exporter_profile> make_exporters(rng& r, size_t count, size_t v6_count) {
    static constexpr template_kind others[] = {template_kind::v4_full,  template_kind::v4_reduced,
                                               template_kind::v4_basic, template_kind::v4_nat,
                                               template_kind::v4_app,   template_kind::v6_full,
                                               template_kind::v6_reduced, template_kind::v6_basic};
    static constexpr uint16_t id_bases[] = {256, 256, 258, 300, 1024};
    std::vector<exporter_profile> out;
    for (size_t i = 0; i < count; ++i) {
        exporter_profile e;
        const bool v6_exporter = i >= count - v6_count;
        if (v6_exporter) {
            std::array<uint8_t, 16> a = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00};  // 2001:db8:100::/48
            a[15] = static_cast<uint8_t>(i + 1);
            e.address = proto::ip_address::v6(a.data());
        } else {
            const uint8_t a[4] = {192, 0, 2, static_cast<uint8_t>(10 + i)};  // TEST-NET-1
            e.address = proto::ip_address::v4(a);
        }
        e.port = static_cast<uint16_t>(r.between(1024, 65535));
        e.weight = r.between(1, 10);
        const uint32_t domain_style = r.below(3);
        const uint32_t domain_count = r.between(1, 3);
        for (uint32_t d = 0; d < domain_count; ++d) {
            e.domains.push_back(domain_style == 0 ? d : domain_style == 1 ? d + 1 : 0x100 * (d + 1) + r.below(16));
        }
        uint16_t id = id_bases[r.below(5)];
        const bool reduced = r.chance(40);
        const bool carries_v6 = v6_exporter || r.chance(75);
        auto add = [&](template_kind k, uint32_t weight) {
            e.templates.push_back(make_flow_template(r, id++, k, weight));
        };
        add(reduced ? template_kind::v4_reduced : template_kind::v4_full, 40);
        if (carries_v6) add(reduced ? template_kind::v6_reduced : template_kind::v6_full, v6_exporter ? 30 : 15);
        const uint32_t more = r.between(4, 11);
        for (uint32_t k = 0; k < more; ++k) {
            template_kind kind = others[r.below(8)];
            if (!carries_v6 && is_ipv6(kind)) kind = template_kind::v4_basic;
            const uint32_t weight = kind == template_kind::v4_nat || kind == template_kind::v4_app ? r.between(1, 4)
                                                                                                  : r.between(2, 10);
            add(kind, weight);
        }
        for (template_kind k : {template_kind::opt_exporter, template_kind::opt_sampler, template_kind::opt_interface}) {
            flow_template t;
            t.id = id++;
            t.kind = k;
            t.fields = base_fields(k);
            t.scope_count = 1;
            e.templates.push_back(std::move(t));
        }
        for (const flow_template& t : e.templates) e.total_template_weight += t.weight;
        out.push_back(std::move(e));
    }
    return out;
}

uint32_t option_rows(template_kind k) { return k == template_kind::opt_interface ? 8 : 1; }

size_t write_record(rng& r, const flow_template& t, uint64_t export_ms, uint32_t domain, uint32_t row,
                    std::span<uint8_t> out) {
    const flow fl = random_flow(r, is_ipv6(t.kind), export_ms);
    const uint32_t option_row = row % 8;
    uint8_t* p = out.data();
    for (const field_spec& s : t.fields) {
        const size_t len = s.length;
        if (s.pen != 0) {
            proto::store_uint(p, len, r.next());
            p += len;
            continue;
        }
        switch (s.id) {
            case 8: case 27: std::memcpy(p, fl.src.data(), len); break;
            case 12: case 28: std::memcpy(p, fl.dst.data(), len); break;
            case 15: case 62: std::memcpy(p, fl.next_hop.data(), len); break;
            case 18: proto::store_be32(p, 0xCB00'7100u | r.below(256)); break;  // 203.0.113.0/24
            case 63: std::memcpy(p, fl.dst.data(), len); break;
            case 7: proto::store_be16(p, fl.src_port); break;
            case 11: proto::store_be16(p, fl.dst_port); break;
            case 4: *p = fl.protocol; break;
            case 5: *p = fl.tos; break;
            case 6: proto::store_uint(p, len, fl.tcp_flags); break;
            case 10: proto::store_uint(p, len, t.scope_count ? option_row + 1 : fl.in_if); break;
            case 14: proto::store_uint(p, len, fl.out_if); break;
            case 16: case 17: {
                const uint32_t as = prefix_as(s.id == 16 ? fl.src_prefix : fl.dst_prefix);
                proto::store_uint(p, len, len < 4 && as > 0xFFFF ? as_trans : as);
                break;
            }
            case 9: case 13: *p = static_cast<uint8_t>(r.between(16, 24)); break;
            case 29: case 30: *p = static_cast<uint8_t>(r.between(32, 48)); break;
            case 31: proto::store_be32(p, r.below(1u << 20)); break;
            case 1: proto::store_uint(p, len, fl.octets); break;
            case 2: proto::store_uint(p, len, fl.packets); break;
            case 150: proto::store_be32(p, static_cast<uint32_t>(fl.start_ms / 1000)); break;
            case 151: proto::store_be32(p, static_cast<uint32_t>(fl.end_ms / 1000)); break;
            case 152: proto::store_be64(p, fl.start_ms); break;
            case 153: case 323: proto::store_be64(p, fl.end_ms); break;
            case 58: proto::store_be16(p, static_cast<uint16_t>(r.between(1, 4094))); break;
            case 61: *p = static_cast<uint8_t>(r.below(2)); break;
            case 89: *p = 0x40; break;  // forwarded, unknown reason
            case 136: *p = static_cast<uint8_t>(r.between(1, 5)); break;
            case 192: *p = static_cast<uint8_t>(r.between(30, 64)); break;
            case 32: proto::store_be16(p, fl.protocol == 1 ? 0x0800 : 0); break;
            case 225: proto::store_be32(p, 0x6440'0000u | r.below(1u << 22)); break;  // 100.64.0.0/10
            case 227: proto::store_be16(p, static_cast<uint16_t>(r.between(1024, 65535))); break;
            case 233: *p = static_cast<uint8_t>(r.between(1, 2)); break;
            case 95: proto::store_be32(p, 0x0D00'0000u | r.below(512)); break;  // NBAR-style id
            case 96: p += put_varlen(p, app_names[r.below(20)]); continue;
            case 149: proto::store_be32(p, domain); break;
            case 40: case 41: case 42: proto::store_be64(p, r.next() >> 24); break;
            case 160: proto::store_be64(p, export_ms - 86'400'000); break;
            case 302: proto::store_be64(p, 1); break;
            case 304: proto::store_be16(p, 1); break;  // systematic count-based sampling
            case 305: proto::store_be32(p, 1); break;
            case 306: proto::store_be32(p, 999); break;
            case 82: p += put_varlen(p, if_names[option_row]); continue;
            case 83: p += put_varlen(p, if_descriptions[option_row]); continue;
            default: std::memset(p, 0, len); break;
        }
        p += len;
    }
    return static_cast<size_t>(p - out.data());
}

}  // namespace ipfix::perf
