// Writes the decoder fuzzer's own seeds (format: decoder_harness.hpp) into a directory:
// multi-exporter sessions of each version, template lifetime and bounds, and one message per
// malformed reason. Usage: fuzz_seed_generator OUT_DIR STAMP_FILE
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ipfix_builder.hpp"
#include "v5_builder.hpp"
#include "v9_builder.hpp"

using namespace ipfix::test;
using bytes = std::vector<uint8_t>;

namespace {

// A framed seed: the mode byte, then [control][length][datagram] frames.
class framed {
public:
    explicit framed(uint8_t mode) { out_.push_back(mode); }
    // `step`: clock advance in 250 ms ticks (62: and sweep, 63: a 31-minute jump).
    framed& frame(unsigned exporter, unsigned step, const bytes& d) {
        out_.push_back(static_cast<uint8_t>((step << 2) | (exporter & 3)));
        out_.push_back(static_cast<uint8_t>(d.size() >> 8));
        out_.push_back(static_cast<uint8_t>(d.size()));
        out_.insert(out_.end(), d.begin(), d.end());
        return *this;
    }
    const bytes& data() const { return out_; }

private:
    bytes out_;
};

const std::vector<field> ipv4_flow = {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {16, 4}, {17, 4}, {1, 8}, {2, 8},
                                      {10, 4}, {14, 4}, {15, 4}, {152, 8}, {153, 8}};
const std::vector<field> ipv6_flow = {{27, 16}, {28, 16}, {62, 16}, {63, 16}, {82, varlen_field},
                                      {14, 2, 6871}, {16, 2}, {17, 2}, {85, 4}, {86, 4}};

ipfix_builder& ipv4_record(ipfix_builder& b, uint8_t host) {
    const std::string src = "10.0.0." + std::to_string(host);
    b.ipv4(src).ipv4("198.51.100.7").u16(40000).u16(443).u8(6).u32(64500).u32(0).u64(1500).u64(3);
    return b.u32(1).u32(2).ipv4("192.0.2.254").u64(1700000000000).u64(1700000001000);
}

bytes ipfix_session_start(uint32_t seq) {
    ipfix_builder b({.sequence = seq, .domain = 1});
    b.template_set().template_record(256, ipv4_flow).template_record(257, ipv6_flow);
    b.options_template_set().options_template_record(258, 1, {{149, 4}, {41, 8}, {42, 8}});
    b.data_set(256);
    ipv4_record(b, 1);
    ipv4_record(b, 2);
    b.data_set(257).ipv6("2001:db8::1").ipv6("2001:db8::2").ipv6("2001:db8::fe").ipv6("2001:db8::ff");
    b.varlen("eth0").u16(0x12).u16(65001).u16(0).u32(9000).u32(7);
    b.data_set(258).u32(1).u64(100).u64(2000).zeros(2);
    return b.build();
}

bytes ipfix_session() {
    framed f(0x80);
    f.frame(0, 0, ipfix_session_start(0));
    {
        ipfix_builder b({.sequence = 4, .domain = 1});
        b.data_set(257).ipv6("2001:db8::3").ipv6("2001:db8::4").ipv6("2001:db8::fe").ipv6("2001:db8::ff");
        b.varlen3("a-rather-long-interface-name").u16(0).u16(1).u16(2).u32(3).u32(4);
        b.data_set(256);
        ipv4_record(b, 3);
        f.frame(0, 4, b.build());
    }
    {
        ipfix_builder b({.sequence = 0, .domain = 1});
        b.template_set().template_record(256, {{16, 2}, {17, 2}, {8, 4}});
        b.data_set(256).u16(1).u16(2).ipv4("10.1.1.1").u16(3).u16(4).ipv4("10.1.1.2");
        f.frame(1, 1, b.build());
    }
    {
        ipfix_builder b({.sequence = 6, .domain = 1});
        b.data_set(256);
        ipv4_record(b, 4);
        b.template_set().template_record(256, {{12, 4}, {8, 4}});
        b.data_set(256).ipv4("10.2.2.2").ipv4("10.2.2.1");
        f.frame(0, 2, b.build());
    }
    f.frame(0, 1, ipfix_builder({.sequence = 8, .domain = 1}).template_set().withdrawal(257).build());
    f.frame(0, 1, ipfix_builder({.sequence = 8, .domain = 1}).data_set(257).zeros(40).build());
    f.frame(0, 1, ipfix_builder({.sequence = 8, .domain = 1}).template_set().withdrawal(2).build());
    f.frame(0, 1, ipfix_builder({.sequence = 8, .domain = 1}).options_template_set().withdrawal(3).build());
    f.frame(3, 3, ipfix_session_start(100));
    f.frame(2, 1, ipfix_session_start(5));
    return f.data();
}

bytes v9_packet(uint32_t seq, uint32_t source_id) {
    v9_builder b({.sequence = seq, .source_id = source_id});
    b.template_flowset().template_record(256, {{8, 4}, {12, 4}, {16, 2}, {17, 2}, {1, 4}, {2, 4}, {10, 2}, {14, 2},
                                               {15, 4}, {21, 4}, {22, 4}});
    b.template_flowset().template_record(257, {{27, 16}, {28, 16}, {62, 16}, {16, 4}, {17, 4}, {0x8001, 2}});
    b.options_template_flowset().options_template_record(258, {{1, 4}, {2, 2}}, {{34, 4}, {35, 1}}).align_set(4);
    b.data_flowset(256);
    for (uint8_t i = 1; i <= 3; ++i) {
        b.record().ipv4("10.0.0." + std::to_string(i)).ipv4("10.9.9.9").u16(64500).u16(3356).u32(1000).u32(10);
        b.u16(1).u16(2).ipv4("192.0.2.1").u32(5000).u32(4000);
    }
    b.align_set(4);
    b.data_flowset(257).record().ipv6("2001:db8::1").ipv6("2001:db8::2").ipv6("2001:db8::fe");
    b.u32(4200000000u).u32(15169).u16(7);
    b.data_flowset(258).record().u32(1).u16(3).u32(100).u8(1).align_set(4);
    return b.build();
}

bytes v9_session() {
    framed f(0x81);
    f.frame(0, 0, v9_packet(0, 0));
    f.frame(0, 4, v9_packet(1, 0));
    f.frame(2, 1, v9_packet(7, 1));
    {
        v9_builder b({.sequence = 3, .source_id = 0});
        b.data_flowset(256).record().zeros(40).align_set(4);
        b.template_flowset().template_record(256, {{8, 4}});
        b.data_flowset(256).record().ipv4("10.3.3.3").zeros(3);
        f.frame(0, 1, b.build());
    }
    f.frame(0, 63, v9_builder({.sequence = 4}).data_flowset(256).record().ipv4("10.4.4.4").build());
    return f.data();
}

bytes v5_session() {
    framed f(0x80);
    const v5_flow a = {.src = "10.0.0.1", .dst = "198.51.100.7", .next_hop = "192.0.2.254", .input = 3, .output = 7,
                       .packets = 12, .octets = 9000, .src_port = 40000, .dst_port = 443, .protocol = 6,
                       .src_as = 64512, .dst_as = 15169, .src_mask = 24, .dst_mask = 16};
    f.frame(0, 0, v5_builder({.sequence = 0}).flow(a).flow(a).build());
    f.frame(0, 4, v5_builder({.sequence = 2}).flow(a).build());
    f.frame(0, 4, v5_builder({.sequence = 10, .engine_id = 1}).flow(a).build());
    f.frame(0, 4, v5_builder({.sequence = 9}).flow(a).count(4).build());
    f.frame(1, 4, v5_builder({.sequence = 1}).flow(a).zeros(20).build());
    return f.data();
}

bytes lifetime() {
    framed f(0x01);  // 5-second lifetime
    ipfix_builder def;
    def.template_set().template_record(256, {{8, 4}, {12, 4}});
    f.frame(0, 0, def.build());
    f.frame(0, 16, ipfix_builder().data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2").build());  // 4 s
    f.frame(0, 8, ipfix_builder().data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2").build());   // 6 s: expired
    f.frame(1, 0, def.build());
    f.frame(0, 0, def.build());
    f.frame(2, 62, def.build());  // sweep at 15.5 s: exporters 0 and 1 expire
    f.frame(1, 0, ipfix_builder().data_set(256).ipv4("10.0.0.1").ipv4("10.0.0.2").build());
    return f.data();
}

bytes bounds() {
    framed f(0x02);  // 2 streams, 4 templates
    for (unsigned e = 0; e < 4; ++e) {
        ipfix_builder b({.domain = e});
        b.template_set().template_record(256, {{8, 4}}).template_record(257, {{12, 4}}).template_record(258, {{16, 4}});
        b.data_set(256).ipv4("10.0.0.1").data_set(258).u32(64500);
        f.frame(e, 1, b.build());
        f.frame(e, 1, ipfix_builder({.domain = e + 4}).template_set().template_record(300, {{1, 8}}).build());
    }
    f.frame(0, 1, ipfix_builder().data_set(256).ipv4("10.0.0.1").build());
    return f.data();
}

bytes faults() {
    framed f(0x80);
    f.frame(0, 0, bytes{0, 10, 0});
    f.frame(0, 0, ipfix_builder().version(7).build());
    f.frame(0, 0, ipfix_builder().header_length(17).build());
    f.frame(0, 0, ipfix_builder().data_set(256).end_set_with_length(1).build());
    f.frame(0, 0, ipfix_builder().data_set(256).end_set_with_length(99).build());
    f.frame(0, 0, ipfix_builder().template_set().u16(256).u16(2).u32(0x00080004).build());
    f.frame(0, 0, ipfix_builder().template_set().u16(256).u16(1).u16(0x8008).u16(4).build());
    f.frame(0, 0, v9_builder().template_flowset().u16(256).u16(0).u32(1).build());
    f.frame(0, 0, v9_builder().options_template_flowset().u16(300).u16(6).u16(4).zeros(10).build());
    f.frame(0, 0, v9_builder().options_template_flowset().options_template_record(300, {}, {{34, 4}}).build());
    f.frame(0, 0, ipfix_builder().template_set().template_record(3, {{8, 4}}).build());
    f.frame(0, 0, ipfix_builder().template_set().template_record(256, {{8, 0}}).build());
    f.frame(0, 0, ipfix_builder().template_set().template_record(256, {{1, 65534}, {2, 2}}).build());
    f.frame(0, 0, ipfix_builder().options_template_set().options_template_record(256, 0, {{8, 4}}).build());
    f.frame(0, 0, ipfix_builder().template_set().withdrawal(255).build());
    f.frame(0, 0, ipfix_builder().data_set(999).u32(0).build());
    {
        ipfix_builder b;
        b.template_set().template_record(256, {{82, varlen_field}, {8, 4}});
        b.data_set(256).varlen("x").ipv4("10.0.0.1").u8(255).u8(1);
        f.frame(0, 0, b.build());
    }
    f.frame(0, 0, v5_builder().count(1).build());
    f.frame(0, 0, ipfix_builder().begin_set(100).u32(0).build());
    return f.data();
}

bytes raw_ipfix() {
    bytes out = ipfix_session_start(0);
    ipfix_builder b({.sequence = 4, .domain = 1});
    b.data_set(256);
    ipv4_record(b, 9);
    const bytes second = b.build();
    out.insert(out.end(), second.begin(), second.end());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s OUT_DIR STAMP_FILE\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir(argv[1]);
    std::filesystem::create_directories(dir);
    const std::pair<const char*, bytes> seeds[] = {
        {"ipfix_session.seed", ipfix_session()}, {"v9_session.seed", v9_session()},
        {"v5_session.seed", v5_session()},       {"lifetime.seed", lifetime()},
        {"bounds.seed", bounds()},               {"faults.seed", faults()},
        {"raw_ipfix.seed", raw_ipfix()},
    };
    for (const auto& [name, data] : seeds) {
        std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        if (!out) {
            std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
            return 1;
        }
    }
    std::ofstream(argv[2]) << "seeds written\n";
    return 0;
}
