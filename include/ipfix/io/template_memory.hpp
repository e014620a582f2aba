// What a TCP collector must know before data: the template and options template records of
// each observation domain, learnt from the IPFIX messages that left for it, in order (withdrawals
// forget them). On each new connection they are sent again, before the domain's first message
// (RFC 7011 §10.4: templates are sent on each new connection, never refreshed by time).
//
//   io::template_memory t;
//   t.learn(message);                                       // every message that left, in order
//   for (auto& m : t.messages_for(domain, export_time, sequence)) write(m);   // new connection
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

namespace ipfix::io {

// The length of the IPFIX message at the front of `bytes` (its header's length field), or 0 when
// the front is not the header of a whole message (version 10, 16 <= length <= bytes.size()).
size_t ipfix_message_length(std::span<const uint8_t> bytes);

// The header fields of a whole IPFIX message (callers check ipfix_message_length first).
struct ipfix_header {
    uint32_t export_time = 0;
    uint32_t sequence = 0;
    uint32_t domain = 0;
};
ipfix_header read_ipfix_header(std::span<const uint8_t> message);

class template_memory {
public:
    // Learns the template records and withdrawals of one message. False (nothing learnt from the
    // bad set on) when a template set is malformed.
    bool learn(std::span<const uint8_t> message);

    // The templates of `domain` as IPFIX messages of at most `max_size` bytes, stamped with
    // `export_time` and `sequence` (template records do not count in IPFIX sequence numbers, so
    // the next data message's number is right). Empty when the domain has none.
    std::vector<std::vector<uint8_t>> messages_for(uint32_t domain, uint32_t export_time, uint32_t sequence,
                                                   size_t max_size = 65535) const;

    size_t size() const { return templates_.size(); }

    // For keeping the memory across restarts: bumped on every change; every record; put back.
    struct entry {
        uint32_t domain = 0;
        uint16_t set_id = 0;
        std::vector<uint8_t> record;  // template id, field count, [scope count], fields
    };
    uint64_t version() const { return version_; }
    std::vector<entry> entries() const;
    void restore(const std::vector<entry>& entries);

private:
    void withdraw_all(uint32_t domain, uint16_t set_id);

    // (domain, template id) -> (set id 2 or 3, the record's bytes)
    std::map<std::pair<uint32_t, uint16_t>, std::pair<uint16_t, std::vector<uint8_t>>> templates_;
    uint64_t version_ = 0;
};

}  // namespace ipfix::io
