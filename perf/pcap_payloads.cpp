#include "pcap_payloads.hpp"

#include <pcap/pcap.h>

#include <memory>
#include <stdexcept>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::perf {
namespace {

constexpr uint16_t ethertype_ipv4 = 0x0800;
constexpr uint16_t ethertype_ipv6 = 0x86DD;
constexpr uint16_t ethertype_vlan = 0x8100;
constexpr uint16_t ethertype_qinq = 0x88A8;
constexpr uint8_t ip_proto_udp = 17;

struct pcap_closer {
    void operator()(pcap_t* p) const { pcap_close(p); }
};

// The UDP payload and sender of an IP packet, if it is an unfragmented UDP datagram.
bool udp_in_ip(std::span<const uint8_t> ip, uint16_t port, proto::exporter_endpoint& from,
               std::span<const uint8_t>& payload) {
    if (ip.empty()) return false;
    std::span<const uint8_t> udp;
    const unsigned version = ip[0] >> 4;
    if (version == 4) {
        const size_t ihl = size_t{ip[0] & 0x0Fu} * 4;
        if (ip.size() < 20 || ihl < 20 || ip.size() < ihl || ip[9] != ip_proto_udp) return false;
        if ((proto::load_be16(ip.data() + 6) & 0x3FFF) != 0) return false;  // a fragment
        const size_t total = proto::load_be16(ip.data() + 2);
        if (total < ihl || total > ip.size()) return false;
        from.address = proto::ip_address::v4(ip.data() + 12);
        udp = ip.subspan(ihl, total - ihl);
    } else if (version == 6) {
        if (ip.size() < 40 || ip[6] != ip_proto_udp) return false;  // extension headers: skipped
        const size_t plen = proto::load_be16(ip.data() + 4);
        if (40 + plen > ip.size()) return false;
        from.address = proto::ip_address::v6(ip.data() + 8);
        udp = ip.subspan(40, plen);
    } else {
        return false;
    }
    if (udp.size() < 8) return false;
    const size_t ulen = proto::load_be16(udp.data() + 4);
    if (ulen < 8 || ulen > udp.size()) return false;
    if (port != 0 && proto::load_be16(udp.data() + 2) != port) return false;
    from.port = proto::load_be16(udp.data());
    payload = udp.subspan(8, ulen - 8);
    return true;
}

std::span<const uint8_t> ip_in_frame(int link, std::span<const uint8_t> f) {
    size_t at = 0;
    uint16_t type = 0;
    switch (link) {
        case DLT_RAW: return f;
        case DLT_EN10MB:
            if (f.size() < 14) return {};
            type = proto::load_be16(f.data() + 12);
            at = 14;
            while ((type == ethertype_vlan || type == ethertype_qinq) && f.size() >= at + 4) {
                type = proto::load_be16(f.data() + at + 2);
                at += 4;
            }
            break;
        case DLT_LINUX_SLL:
            if (f.size() < 16) return {};
            type = proto::load_be16(f.data() + 14);
            at = 16;
            break;
        default: return {};
    }
    if (type != ethertype_ipv4 && type != ethertype_ipv6) return {};
    return f.subspan(at);
}

}  // namespace

datagram_set load_udp_payloads(const std::string& path, uint16_t port) {
    char err[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, pcap_closer> p(pcap_open_offline(path.c_str(), err));
    if (!p) throw std::runtime_error(path + ": " + err);
    const int link = pcap_datalink(p.get());
    if (link != DLT_EN10MB && link != DLT_RAW && link != DLT_LINUX_SLL) {
        throw std::runtime_error(path + ": unsupported link type " + std::to_string(link));
    }
    datagram_set out;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    int rc = 0;
    while ((rc = pcap_next_ex(p.get(), &h, &data)) == 1) {
        datagram d;
        std::span<const uint8_t> payload;
        if (!udp_in_ip(ip_in_frame(link, {data, h->caplen}), port, d.from, payload)) continue;
        d.time_ms = static_cast<uint64_t>(h->ts.tv_sec) * 1000 + static_cast<uint64_t>(h->ts.tv_usec) / 1000;
        d.offset = out.bytes.size();
        d.length = payload.size();
        out.bytes.insert(out.bytes.end(), payload.begin(), payload.end());
        out.datagrams.push_back(d);
    }
    if (rc == PCAP_ERROR) throw std::runtime_error(path + ": " + pcap_geterr(p.get()));
    return out;
}

}  // namespace ipfix::perf
