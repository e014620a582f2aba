// Writes the decode benchmark's capture: IPFIX over UDP (port 4739) from ~20 router-like
// exporters, as an Ethernet pcap. Deterministic for a given seed and message count.
//
//   make_capture --out capture.pcap [--messages 40000] [--seed N]
#include <pcap/pcap.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture_model.hpp"
#include "ipfix/proto/byte_order.hpp"
#include "ipfix/proto/message_writer.hpp"

namespace {

using namespace ipfix;
using perf::exporter_profile;
using perf::flow_template;

struct settings {
    std::string out;
    size_t messages = 40'000;
    uint64_t seed = 0x1F1C'2024;
    size_t exporters = 20;
    size_t v6_exporters = 5;
    uint64_t start_ms = 1'700'000'000'000;  // 2023-11-14
    uint64_t duration_ms = 300'000;
    uint64_t template_interval_ms = 60'000;
    size_t max_payload = 1400;  // fits a 1500-byte MTU under IPv6 + UDP
};

// One (exporter, observation domain): its own template announcements and sequence numbers.
struct stream {
    size_t exporter = 0;
    uint32_t domain = 0;
    uint32_t sequence = 0;
    uint64_t next_templates_ms = 0;
    std::deque<size_t> pending_templates;
    std::deque<std::pair<size_t, uint32_t>> pending_option_rows;  // (template, row)
};

struct totals {
    size_t messages = 0, template_messages = 0, flow_records = 0, option_records = 0;
    size_t v4_records = 0, v6_records = 0, varlen_records = 0, bytes = 0, ipv6_datagrams = 0;
};

uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += proto::load_be16(p + i);
    if (n % 2) sum += static_cast<uint32_t>(p[n - 1]) << 8;
    return sum;
}
uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// Ethernet + IPv4/IPv6 + UDP around `payload`, checksums filled in.
std::vector<uint8_t> frame(const exporter_profile& e, uint16_t ip_id, std::span<const uint8_t> payload) {
    static constexpr uint8_t collector_v4[4] = {192, 0, 2, 200};
    static constexpr uint8_t collector_v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0};
    const bool v6 = e.address.family == 6;
    const size_t ip_len = v6 ? 40 : 20;
    const size_t udp_len = 8 + payload.size();
    std::vector<uint8_t> f(14 + ip_len + udp_len);
    uint8_t* p = f.data();
    const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0x10, e.address.bytes[v6 ? 15 : 3]};
    std::memcpy(p, dst_mac, 6);
    std::memcpy(p + 6, src_mac, 6);
    proto::store_be16(p + 12, v6 ? 0x86DD : 0x0800);
    uint8_t* ip = p + 14;
    uint8_t* udp = ip + ip_len;
    uint32_t pseudo = 0;
    if (v6) {
        proto::store_be32(ip, 0x6000'0000);
        proto::store_be16(ip + 4, static_cast<uint16_t>(udp_len));
        ip[6] = 17;
        ip[7] = 64;
        std::memcpy(ip + 8, e.address.bytes.data(), 16);
        std::memcpy(ip + 24, collector_v6, 16);
        pseudo = sum16(ip + 8, 32);
    } else {
        ip[0] = 0x45;
        proto::store_be16(ip + 2, static_cast<uint16_t>(20 + udp_len));
        proto::store_be16(ip + 4, ip_id);
        proto::store_be16(ip + 6, 0x4000);  // don't fragment
        ip[8] = 64;
        ip[9] = 17;
        std::memcpy(ip + 12, e.address.bytes.data(), 4);
        std::memcpy(ip + 16, collector_v4, 4);
        proto::store_be16(ip + 10, fold(sum16(ip, 20)));
        pseudo = sum16(ip + 12, 8);
    }
    proto::store_be16(udp, e.port);
    proto::store_be16(udp + 2, 4739);
    proto::store_be16(udp + 4, static_cast<uint16_t>(udp_len));
    std::memcpy(udp + 8, payload.data(), payload.size());
    pseudo += 17 + static_cast<uint32_t>(udp_len);
    uint16_t check = fold(sum16(udp, udp_len, pseudo));
    proto::store_be16(udp + 6, check == 0 ? 0xFFFF : check);
    return f;
}

template <class T, class W>
size_t pick_weighted(perf::rng& r, const std::vector<T>& items, uint32_t total, W weight) {
    uint32_t x = r.below(total);
    for (size_t i = 0; i < items.size(); ++i) {
        if (x < weight(items[i])) return i;
        x -= weight(items[i]);
    }
    return items.size() - 1;
}

// Fills one message for `s`: due templates first, then options rows, then flow records in
// data sets of random length until the message is full.
void build_message(perf::rng& r, const exporter_profile& e, stream& s, uint64_t now_ms, uint64_t template_interval_ms,
                   proto::message_writer& w, totals& t) {
    w.begin(static_cast<uint32_t>(now_ms / 1000), s.sequence, s.domain);
    if (now_ms >= s.next_templates_ms) {
        s.next_templates_ms = now_ms + template_interval_ms;
        s.pending_templates.clear();
        s.pending_option_rows.clear();
        for (size_t i = 0; i < e.templates.size(); ++i) {
            s.pending_templates.push_back(i);
            if (perf::is_options(e.templates[i].kind)) {
                for (uint32_t row = 0; row < perf::option_rows(e.templates[i].kind); ++row) {
                    s.pending_option_rows.emplace_back(i, row);
                }
            }
        }
    }
    if (!s.pending_templates.empty()) ++t.template_messages;
    while (!s.pending_templates.empty()) {
        const flow_template& ft = e.templates[s.pending_templates.front()];
        if (!w.add_template(ft.id, ft.fields, ft.scope_count)) break;
        s.pending_templates.pop_front();
    }
    std::array<uint8_t, 512> rec{};
    if (!s.pending_templates.empty()) return;  // data only once every template is known
    while (!s.pending_option_rows.empty()) {
        const auto [index, row] = s.pending_option_rows.front();
        const flow_template& ft = e.templates[index];
        const size_t len = perf::write_record(r, ft, now_ms, s.domain, row, rec);
        if (!w.begin_data_set(ft.id) || !w.add_record({rec.data(), len})) return;
        s.pending_option_rows.pop_front();
        ++t.option_records;
    }
    for (;;) {
        const size_t index = pick_weighted(r, e.templates, e.total_template_weight,
                                           [](const flow_template& ft) { return ft.weight; });
        const flow_template& ft = e.templates[index];
        if (!w.begin_data_set(ft.id)) return;
        const uint32_t n = r.between(1, 30);
        for (uint32_t k = 0; k < n; ++k) {
            const size_t len = perf::write_record(r, ft, now_ms, s.domain, 0, rec);
            if (!w.add_record({rec.data(), len})) return;
            ++t.flow_records;
            ++(perf::is_ipv6(ft.kind) ? t.v6_records : t.v4_records);
            if (ft.kind == perf::template_kind::v4_app) ++t.varlen_records;
        }
        w.end_set();
    }
}

bool parse_number(std::string_view s, uint64_t& v) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && end == s.data() + s.size();
}

int usage() {
    std::fprintf(stderr, "usage: make_capture --out FILE [--messages N] [--seed N]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    settings cfg;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) return usage();
        const std::string_view v = argv[++i];
        uint64_t n = 0;
        if (a == "--out") cfg.out = v;
        else if (a == "--messages" && parse_number(v, n) && n > 0) cfg.messages = n;
        else if (a == "--seed" && parse_number(v, n)) cfg.seed = n;
        else return usage();
    }
    if (cfg.out.empty()) return usage();

    perf::rng r(cfg.seed);
    const std::vector<exporter_profile> exporters = perf::make_exporters(r, cfg.exporters, cfg.v6_exporters);
    std::vector<stream> streams;
    std::vector<std::vector<size_t>> streams_of(exporters.size());
    uint32_t total_weight = 0;
    size_t flow_templates = 0, option_templates = 0;
    for (size_t i = 0; i < exporters.size(); ++i) {
        total_weight += exporters[i].weight;
        for (uint32_t d : exporters[i].domains) {
            streams_of[i].push_back(streams.size());
            streams.push_back({i, d, 0, 0, {}, {}});
            for (const flow_template& ft : exporters[i].templates) {
                ++(perf::is_options(ft.kind) ? option_templates : flow_templates);
            }
        }
    }

    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* dump = dead ? pcap_dump_open(dead, cfg.out.c_str()) : nullptr;
    if (dump == nullptr) {
        std::fprintf(stderr, "make_capture: cannot write %s: %s\n", cfg.out.c_str(), dead ? pcap_geterr(dead) : "");
        return 1;
    }
    std::vector<uint8_t> buffer(cfg.max_payload);
    proto::message_writer w(buffer, proto::protocol_version::ipfix);
    std::vector<uint16_t> ip_ids(exporters.size());
    totals t;
    for (size_t m = 0; m < cfg.messages; ++m) {
        const uint64_t now_ms = cfg.start_ms + m * cfg.duration_ms / cfg.messages;
        const size_t ex = pick_weighted(r, exporters, total_weight, [](const exporter_profile& e) { return e.weight; });
        stream& s = streams[streams_of[ex][r.below(static_cast<uint32_t>(streams_of[ex].size()))]];
        build_message(r, exporters[ex], s, now_ms, cfg.template_interval_ms, w, t);
        s.sequence += w.data_records();
        const std::span<const uint8_t> msg = w.finish();
        const std::vector<uint8_t> f = frame(exporters[ex], ip_ids[ex]++, msg);
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(now_ms / 1000);
        h.ts.tv_usec = static_cast<suseconds_t>(now_ms % 1000 * 1000);
        h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
        pcap_dump(reinterpret_cast<u_char*>(dump), &h, f.data());
        ++t.messages;
        t.bytes += msg.size();
        if (exporters[ex].address.family == 6) ++t.ipv6_datagrams;
    }
    pcap_dump_close(dump);
    pcap_close(dead);

    std::printf("make_capture: %s: %zu IPFIX messages (%zu with templates, %zu over IPv6), %zu payload bytes\n",
                cfg.out.c_str(), t.messages, t.template_messages, t.ipv6_datagrams, t.bytes);
    std::printf("  %zu exporters (%zu IPv6), %zu streams (exporter x domain), %zu flow + %zu options templates\n",
                exporters.size(), cfg.v6_exporters, streams.size(), flow_templates, option_templates);
    std::printf("  %zu flow records (%zu IPv4, %zu IPv6, %zu with a variable-length field), %zu options records\n",
                t.flow_records, t.v4_records, t.v6_records, t.varlen_records, t.option_records);
    return 0;
}
