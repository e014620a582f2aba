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

bool capture_reader::open_live(const std::string& interface, const std::string& filter, int timeout_ms) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_create(interface.c_str(), errbuf);
    if (handle_ == nullptr) {
        error_ = errbuf;
        return false;
    }
    pcap_set_snaplen(handle_, 65535);
    pcap_set_timeout(handle_, timeout_ms);
    // Frames as they come, not held back until a buffer fills: a monitor shows them at once.
    pcap_set_immediate_mode(handle_, 1);
    nanoseconds_ = pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_NANO) == 0;
    const int rc = pcap_activate(handle_);
    if (rc < 0) {
        // pcap_geterr is empty for some codes (no such device, permission): name the code too.
        error_ = interface + ": " + pcap_statustostr(rc);
        const std::string detail = pcap_geterr(handle_);
        if (!detail.empty()) error_ += " (" + detail + ")";
        pcap_close(handle_);
        handle_ = nullptr;
        return false;
    }
    if (!filter.empty()) {
        bpf_program program{};
        if (pcap_compile(handle_, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
            pcap_setfilter(handle_, &program) != 0) {
            error_ = "filter '";  // piecewise: GCC 12 -O3 warns falsely on "literal" + std::string
            error_ += filter;
            error_ += "': ";
            error_ += pcap_geterr(handle_);
            pcap_freecode(&program);
            pcap_close(handle_);
            handle_ = nullptr;
            return false;
        }
        pcap_freecode(&program);
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
    const auto fraction = header->ts.tv_usec < 0 ? uint64_t{0} : static_cast<uint64_t>(header->ts.tv_usec);
    const uint64_t nanos = nanoseconds_ ? fraction : fraction * 1000;
    frame_.time_ms = seconds * 1000 + nanos / 1000000;
    frame_.time_us = seconds * 1000000 + nanos / 1000;
    frame_.wire_length = header->len;
    frame_.bytes = {data, header->caplen};
    return &frame_;
}

}  // namespace ipfix::io
