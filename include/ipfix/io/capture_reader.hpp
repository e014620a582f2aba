// Reads the frames of a pcap or pcapng file with libpcap, one at a time.
//
//   capture_reader r;
//   if (!r.open(path)) report(r.error());
//   while (const captured_frame* f = r.next()) use(*f);
#pragma once

#include <cstdint>
#include <span>
#include <string>

struct pcap;

namespace ipfix::io {

struct captured_frame {
    uint64_t number = 0;     // 1-based, as tshark and wireshark count
    uint64_t time_ms = 0;    // capture timestamp, milliseconds since the epoch
    uint64_t time_us = 0;    // the same in microseconds
    size_t wire_length = 0;  // length on the wire; bytes() may hold less
    std::span<const uint8_t> bytes;
};

class capture_reader {
public:
    capture_reader() = default;
    capture_reader(const capture_reader&) = delete;
    capture_reader& operator=(const capture_reader&) = delete;
    ~capture_reader();

    // False (with error()) when the file cannot be opened or is no capture.
    bool open(const std::string& path);
    // The next frame, or nullptr at the end or on a read error (then error() is set).
    const captured_frame* next();

    int link_type() const { return link_type_; }
    const std::string& error() const { return error_; }

private:
    pcap* handle_ = nullptr;
    int link_type_ = -1;
    captured_frame frame_;
    std::string error_;
};

}  // namespace ipfix::io
