// Reads the frames of a pcap or pcapng file with libpcap, one at a time, or captures them live
// from an interface.
//
//   capture_reader r;
//   if (!r.open(path)) report(r.error());
//   while (const captured_frame* f = r.next()) use(*f);
//
//   if (!r.open_live("eth0", "udp port 2055", 100)) report(r.error());
//   while (running) if (const captured_frame* f = r.next()) use(*f); else if (!r.error().empty()) break;
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
    // Captures on `interface` the frames matching the BPF `filter` (empty: all); next() then waits
    // at most `timeout_ms` for a frame. False (with error()) when the interface cannot be opened
    // (no such interface, no permission: capturing needs CAP_NET_RAW) or the filter is invalid.
    bool open_live(const std::string& interface, const std::string& filter, int timeout_ms);
    // The next frame, or nullptr at the end or on a read error (then error() is set). Live, also
    // nullptr when no frame came within the timeout (error() stays empty).
    const captured_frame* next();

    int link_type() const { return link_type_; }
    const std::string& error() const { return error_; }

private:
    pcap* handle_ = nullptr;
    int link_type_ = -1;
    bool nanoseconds_ = true;  // the timestamps' fraction: nanoseconds, else microseconds
    captured_frame frame_;
    std::string error_;
};

}  // namespace ipfix::io
