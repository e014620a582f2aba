// The retention store's block format (3): up to a few thousand records in one value. Records
// come in groups that share a seen time, exporter, version, domain, template and layout (a
// tapped datagram's data set), written once per group; the layout gives each integer field's
// width, the bytes the set's values need, and a record is its fields copied as the exporter
// sent them (big-endian, reduced-size), plus the AS numbers and countries enrichment decided:
// a few fixed-size copies a record, no per-value branch or loop (format 2's varints were most of the retention
// thread's time). The block's exporters sit in a small table at its end so a group names its
// exporter by index. The header is fixed-size, so a block is encoded in place and handed over
// without a copy. decode_block also reads format-1 and format-2 blocks, and treats the bytes as
// untrusted (a bad block is refused, never over-read).
//
//   block_encoder e;
//   e.add(datagram);                    // straight from the tap, no summary built
//   e.add(summary);                     // or one summary at a time
//   std::string_view value = e.seal();  // valid until the next add; e is empty again
//   decode_block(value, [](const pipeline::flow_summary& s) { ...; return true; });
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/pipeline/flow_summary.hpp"
#include "ipfix/pipeline/record_tap.hpp"

namespace ipfix::store {

// What a block header holds, readable without decoding the records.
struct block_info {
    uint32_t records = 0;
    uint64_t first_seen_ms = 0;  // smallest seen_ms in the block
    uint64_t last_seen_ms = 0;   // largest
};

class block_encoder {
public:
    block_encoder();

    void add(const pipeline::flow_summary& s);
    // The datagram's data records, each as summarize() would give it; returns how many. The
    // records are the decoder's views into their datagram.
    size_t add(const pipeline::tapped_datagram& d);
    // The encoded block, valid until the next add or seal; the encoder starts over. Empty when
    // nothing was added.
    std::string_view seal();
    std::string finish() { return std::string(seal()); }

    uint32_t records() const { return records_; }
    uint64_t first_seen_ms() const { return first_seen_ms_; }
    uint64_t last_seen_ms() const { return last_seen_ms_; }
    size_t body_bytes() const { return size_; }

private:
    struct record_plan;  // where a set's records keep what is stored
    // What a group says of its records besides its key: address families, how flow times are
    // kept, each integer's width, and the header's clock for uptime-relative times.
    struct group_layout {
        uint8_t families_and_times = 0;
        uint8_t widths[11] = {};
        uint32_t sys_uptime_ms = 0, export_time = 0;
        bool operator==(const group_layout&) const = default;
    };
    struct exporter_entry {
        proto::ip_address address;
        uint16_t port = 0;
    };
    uint16_t exporter_index(const proto::ip_address& address, uint16_t port);
    void start_record(uint64_t seen_ms);
    // Starts a group unless the open one has the same key and layout.
    void group(uint64_t seen_ms, uint16_t exporter, uint8_t version, uint32_t domain, uint16_t template_id,
               const group_layout& layout);
    void close_group();
    // One record of the open group: `record` holds its fields where `plan` says.
    void write(const record_plan& plan, const uint8_t* record, const mediate::record_values& v);
    // Where the next n bytes go: inline, as every record asks.
    uint8_t* room(size_t n) {
        if (buf_.size() - size_ < n) [[unlikely]] grow(n);
        return buf_.data() + size_;
    }
    void grow(size_t n);

    std::vector<uint8_t> buf_;  // header, groups, then (at seal) the exporter table
    size_t size_ = 0;
    std::vector<exporter_entry> exporters_;
    size_t last_exporter_ = 0;
    uint32_t records_ = 0;
    uint64_t first_seen_ms_ = 0;
    uint64_t last_seen_ms_ = 0;
    // The open group: its key, where its count goes and how many it holds (0: none open).
    uint64_t group_seen_ms_ = 0;  // also the base of the next group's seen delta
    uint16_t group_exporter_ = 0;
    uint8_t group_version_ = 0;
    uint32_t group_domain_ = 0;
    uint16_t group_template_ = 0;
    group_layout group_layout_;
    size_t group_count_at_ = 0;
    uint32_t group_records_ = 0;
};

// Reads the header only; false when it is not a block of a known format.
bool read_block_info(std::string_view value, block_info& info);

// Calls `each` for every record in order until it returns false. False when the block is
// malformed (records before the fault have been delivered).
bool decode_block(std::string_view value, const std::function<bool(const pipeline::flow_summary&)>& each);

}  // namespace ipfix::store
