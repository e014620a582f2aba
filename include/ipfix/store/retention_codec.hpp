// The retention store's block format: up to a few thousand flow summaries in one value,
// varint-packed, with the block's exporters in a small table so each record names its exporter
// by index. decode_block treats the bytes as untrusted (a bad block is refused, never over-read).
//
//   block_encoder e; for (const auto& s : batch) e.add(s);
//   std::string value = e.finish();   // e is empty again
//   decode_block(value, [](const pipeline::flow_summary& s) { ...; return true; });
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/pipeline/flow_summary.hpp"

namespace ipfix::store {

// What a block header holds, readable without decoding the records.
struct block_info {
    uint32_t records = 0;
    uint64_t first_seen_ms = 0;  // smallest seen_ms in the block
    uint64_t last_seen_ms = 0;   // largest
};

class block_encoder {
public:
    void add(const pipeline::flow_summary& s);
    // The encoded block; the encoder starts over. Empty when nothing was added.
    std::string finish();

    uint32_t records() const { return records_; }
    uint64_t first_seen_ms() const { return first_seen_ms_; }
    uint64_t last_seen_ms() const { return last_seen_ms_; }
    size_t body_bytes() const { return body_.size(); }

private:
    uint16_t exporter_index(const pipeline::flow_summary& s);

    struct exporter_entry {
        proto::ip_address address;
        uint16_t port = 0;
    };
    std::vector<exporter_entry> exporters_;
    std::string body_;
    uint32_t records_ = 0;
    uint64_t previous_seen_ms_ = 0;  // records carry their seen time as a delta to the one before
    uint64_t base_seen_ms_ = 0;      // the first record's
    uint64_t first_seen_ms_ = 0;
    uint64_t last_seen_ms_ = 0;
};

// Reads the header only; false when it is not a block of this format.
bool read_block_info(std::string_view value, block_info& info);

// Calls `each` for every record in order until it returns false. False when the block is
// malformed (records before the fault have been delivered).
bool decode_block(std::string_view value, const std::function<bool(const pipeline::flow_summary&)>& each);

}  // namespace ipfix::store
