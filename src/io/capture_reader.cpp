#include "ipfix/io/capture_reader.hpp"

#include <pcap/pcap.h>

namespace ipfix::io {

capture_reader::~capture_reader() {
    if (handle_ != nullptr) pcap_close(handle_);
}

bool capture_reader::open(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    // Nanosecond files keep their precision; microsecond ones are scaled on read.
    handle_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle_ == nullptr) {
        error_ = errbuf;
        return false;
    }
    link_type_ = pcap_datalink(handle_);
    return true;
}

const captured_frame* capture_reader::next() {
    if (handle_ == nullptr) return nullptr;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc != 1) {
        if (rc == PCAP_ERROR) error_ = pcap_geterr(handle_);
        return nullptr;
    }
    ++frame_.number;
    // Times before 1970 are nonsense for flow exports: clamp rather than wrap.
    const auto seconds = header->ts.tv_sec < 0 ? uint64_t{0} : static_cast<uint64_t>(header->ts.tv_sec);
    const auto nanos = header->ts.tv_usec < 0 ? uint64_t{0} : static_cast<uint64_t>(header->ts.tv_usec);
    frame_.time_ms = seconds * 1000 + nanos / 1000000;
    frame_.time_us = seconds * 1000000 + nanos / 1000;
    frame_.wire_length = header->len;
    frame_.bytes = {data, header->caplen};
    return &frame_;
}

}  // namespace ipfix::io
