#include "ipfix/io/pcap_writer.hpp"

#include <pcap/pcap.h>

#include <cstring>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::io {
namespace {

using proto::store_be16;

// RFC 1071 one's-complement sum, folded.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (; n > 1; p += 2, n -= 2) sum += proto::load_be16(p);
    if (n) sum += uint32_t{p[0]} << 8;
    return sum;
}

uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// Locally administered MACs: the frames only need to parse.
constexpr uint8_t ethernet_header[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};

}  // namespace

pcap_writer::~pcap_writer() { close(); }

bool pcap_writer::open(const std::string& path) {
    close();
    dead_ = pcap_open_dead(DLT_EN10MB, 65535);
    if (dead_ == nullptr) {
        error_ = "cannot create a pcap handle";
        return false;
    }
    dumper_ = pcap_dump_open(dead_, path.c_str());
    if (dumper_ == nullptr) {
        error_ = pcap_geterr(dead_);
        pcap_close(dead_);
        dead_ = nullptr;
        return false;
    }
    return true;
}

void pcap_writer::close() {
    if (dumper_) pcap_dump_close(dumper_);
    if (dead_) pcap_close(dead_);
    dumper_ = nullptr;
    dead_ = nullptr;
}

bool pcap_writer::write_udp(uint64_t time_us, const proto::exporter_endpoint& from, const proto::exporter_endpoint& to,
                            std::span<const uint8_t> payload) {
    if (dumper_ == nullptr || from.address.family != to.address.family || from.address.empty() ||
        payload.size() > 65507) {
        return false;
    }
    const bool v4 = from.address.family == 4;
    const size_t ip_len = v4 ? 20 : 40;
    const size_t udp_len = 8 + payload.size();
    frame_.assign(14 + ip_len + udp_len, 0);
    uint8_t* eth = frame_.data();
    std::memcpy(eth, ethernet_header, 12);
    store_be16(eth + 12, v4 ? 0x0800 : 0x86DD);
    uint8_t* ip = eth + 14;
    uint8_t* udp = ip + ip_len;
    const size_t alen = from.address.size();
    if (v4) {
        ip[0] = 0x45;
        store_be16(ip + 2, static_cast<uint16_t>(ip_len + udp_len));
        store_be16(ip + 4, ip_id_++);
        ip[8] = 64;
        ip[9] = 17;
        std::memcpy(ip + 12, from.address.bytes.data(), 4);
        std::memcpy(ip + 16, to.address.bytes.data(), 4);
        store_be16(ip + 10, fold(sum16(ip, 20)));
    } else {
        ip[0] = 0x60;
        store_be16(ip + 4, static_cast<uint16_t>(udp_len));
        ip[6] = 17;
        ip[7] = 64;
        std::memcpy(ip + 8, from.address.bytes.data(), 16);
        std::memcpy(ip + 24, to.address.bytes.data(), 16);
    }
    store_be16(udp, from.port);
    store_be16(udp + 2, to.port);
    store_be16(udp + 4, static_cast<uint16_t>(udp_len));
    if (!payload.empty()) std::memcpy(udp + 8, payload.data(), payload.size());
    // Pseudo-header (addresses, protocol, length) then the datagram.
    uint32_t sum = sum16(from.address.bytes.data(), alen);
    sum = sum16(to.address.bytes.data(), alen, sum);
    sum += 17 + static_cast<uint32_t>(udp_len);
    uint16_t csum = fold(sum16(udp, udp_len, sum));
    store_be16(udp + 6, csum == 0 ? 0xFFFF : csum);

    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(time_us / 1'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>(time_us % 1'000'000);
    h.caplen = h.len = static_cast<bpf_u_int32>(frame_.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame_.data());
    ++frames_;
    return true;
}

}  // namespace ipfix::io
