#include "frame_feed.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "ipfix/proto/decoder.hpp"

namespace ipfix::perf {

void frame_input::set_destination(const io::eth::mac_address& mac) {
    for (const feed_frame& f : frames) std::memcpy(bytes.data() + f.offset, mac.data(), mac.size());
}

frame_input build_frames(const datagram_set& capture, const frame_addressing& a) {
    frame_input in;
    // Records as the daemon's decoder counts them: a first pass learns the templates, and a
    // stream that comes round again is counted as the second pass counts it.
    proto::decoder dec;
    proto::decoded_message msg;
    std::vector<uint32_t> first(capture.datagrams.size());
    for (size_t i = 0; i < capture.datagrams.size(); ++i) {
        const datagram& d = capture.datagrams[i];
        dec.decode(d.from, capture.payload(d), d.time_ms, msg);
        first[i] = static_cast<uint32_t>(msg.records.size());
    }
    for (size_t i = 0; i < capture.datagrams.size(); ++i) {
        const datagram& d = capture.datagrams[i];
        dec.decode(d.from, capture.payload(d), d.time_ms, msg);
        feed_frame f;
        f.records_first = first[i];
        f.records_again = static_cast<uint32_t>(msg.records.size());
        const auto it = std::find(in.exporters.begin(), in.exporters.end(), d.from.address);
        f.exporter = static_cast<size_t>(it - in.exporters.begin());
        if (it == in.exporters.end()) {
            in.exporters.push_back(d.from.address);
            in.exporter_records.push_back(0);
        }
        in.exporter_records[f.exporter] += f.records_again;
        in.records_per_pass += f.records_again;

        io::eth::udp_route r;
        r.source_mac = a.exporter_mac;
        r.source = d.from.address;
        r.source_port = d.from.port;
        r.destination = d.from.address.family == 6 ? a.ipv6 : a.ipv4;
        r.destination_port = a.listen_port;
        const std::span<const uint8_t> payload = capture.payload(d);
        const size_t headers = io::eth::udp_headers_length(d.from.address.family);
        if (headers + payload.size() > 0xFFFF) throw std::runtime_error("datagram " + std::to_string(i) + " is too long");
        f.offset = in.bytes.size();
        f.length = static_cast<uint16_t>(headers + payload.size());
        in.bytes.resize(in.bytes.size() + f.length);
        uint8_t* p = in.bytes.data() + f.offset;
        std::memcpy(p + headers, payload.data(), payload.size());
        if (!io::eth::write_udp_headers({p, headers}, r, {p + headers, payload.size()}, static_cast<uint16_t>(i))) {
            throw std::runtime_error("cannot build the frame of datagram " + std::to_string(i));
        }
        in.frames.push_back(f);
    }
    return in;
}

std::vector<std::vector<size_t>> spread_over_queues(const frame_input& in, unsigned queues, std::vector<uint64_t>& load) {
    std::vector<size_t> order(in.exporters.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return in.exporter_records[x] > in.exporter_records[y]; });
    std::vector<unsigned> queue_of(in.exporters.size());
    load.assign(queues, 0);
    for (size_t e : order) {
        const auto q = static_cast<unsigned>(std::min_element(load.begin(), load.end()) - load.begin());
        queue_of[e] = q;
        load[q] += in.exporter_records[e];
    }
    std::vector<std::vector<size_t>> per_queue(queues);
    for (size_t i = 0; i < in.frames.size(); ++i) per_queue[queue_of[in.frames[i].exporter]].push_back(i);
    return per_queue;
}

}  // namespace ipfix::perf
