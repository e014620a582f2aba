// Writes UDP datagrams as Ethernet/IPv4 or IPv6/UDP frames to a classic pcap file (libpcap),
// with correct IP and UDP checksums, so tshark, nfdump and ipfixDump can read what we sent.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipfix/proto/stream_key.hpp"

struct pcap;
struct pcap_dumper;

namespace ipfix::io {

class pcap_writer {
public:
    pcap_writer() = default;
    pcap_writer(const pcap_writer&) = delete;
    pcap_writer& operator=(const pcap_writer&) = delete;
    ~pcap_writer();

    // False (with error()) when the file cannot be created.
    bool open(const std::string& path);
    // Source and destination must be of one family. Payloads over 65507 bytes are refused.
    bool write_udp(uint64_t time_us, const proto::exporter_endpoint& from, const proto::exporter_endpoint& to,
                   std::span<const uint8_t> payload);
    void close();

    uint64_t frames() const { return frames_; }
    const std::string& error() const { return error_; }

private:
    pcap* dead_ = nullptr;
    pcap_dumper* dumper_ = nullptr;
    std::vector<uint8_t> frame_;
    uint64_t frames_ = 0;
    uint16_t ip_id_ = 0;
    std::string error_;
};

}  // namespace ipfix::io
