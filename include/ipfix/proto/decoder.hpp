// Decodes NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export messages into record
// views, learning templates and tracking sequence numbers per stream. Never throws on input,
// never reads outside the given bytes; every malformed part is counted by reason and skipped.
//
//   proto::decoder dec;
//   proto::decoded_message msg;
//   dec.decode(from, payload, now_ms, msg);
//   for (const proto::record_view& r : msg.records) use(r.source_address(), r.source_as());
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "ipfix/proto/decode_counters.hpp"
#include "ipfix/proto/record_view.hpp"
#include "ipfix/proto/stream_key.hpp"
#include "ipfix/proto/template_cache.hpp"

namespace ipfix::proto {

struct message_header {
    protocol_version version = protocol_version::ipfix;
    uint16_t length = 0;          // IPFIX: header length field; v5/v9: bytes decoded
    uint16_t count = 0;           // v5/v9 header count (as sent, not trusted)
    uint32_t export_time = 0;     // seconds since the epoch
    uint32_t sequence = 0;
    uint32_t domain = 0;          // observation domain / source id / (engine type << 8 | id)
    uint32_t sys_uptime_ms = 0;   // v5, v9
    uint32_t export_nsecs = 0;    // v5
    uint16_t sampling = 0;        // v5 sampling interval field
};

enum class template_event_kind : uint8_t { learned, refreshed, redefined, withdrawn };

struct template_event {
    template_event_kind kind = template_event_kind::learned;
    uint16_t id = 0;
    bool options = false;
    const template_def* def = nullptr;  // nullptr for withdrawals
};

// A data set that could not be decoded (no template): kept so a proxy can forward it as is.
struct raw_set {
    uint16_t id = 0;
    std::span<const uint8_t> body;  // after the set header
};

// An allocator whose vectors grow without writing what they add: resize() leaves the new
// elements as allocate() made them (implicitly created objects of an aggregate, C++20), and the
// decoder writes each once. A zeroing resize wrote every view twice; push_back stored the
// vector's end after every element.
template <class T>
struct uninitialized_allocator : std::allocator<T> {
    static_assert(std::is_aggregate_v<T> && std::is_trivially_copyable_v<T>);
    using std::allocator<T>::allocator;
    template <class U>
    struct rebind {
        using other = uninitialized_allocator<U>;
    };
    template <class U>
    void construct(U*) noexcept {}
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

// The result of one decode(); reuse one object per thread so its buffers are allocated once.
struct decoded_message {
    message_header header;
    stream_key stream;
    std::vector<record_view, uninitialized_allocator<record_view>> records;
    // Where each data set's records end in `records`: records[run_ends[k - 1], run_ends[k]) share
    // one template, so a reader need not compare every record's to find where it changes.
    std::vector<uint32_t> run_ends;
    std::vector<template_event> template_events;
    uint32_t malformed = 0;           // malformed events counted in this message
    uint32_t unknown_data_sets = 0;   // data sets skipped for lack of a template
    std::vector<raw_set> unknown_sets;   // those sets, in message order
    std::vector<field_loc, uninitialized_allocator<field_loc>> loc_storage;  // of variable-length records

    // Inline: it runs on every decode(), where the call cost as much as the clearing.
    void clear() {
        // Built in place: assigning `{}` has GCC build a temporary with narrow stores and copy it
        // with wide loads, a store-forwarding stall on every message.
        std::construct_at(&header);
        std::construct_at(&stream);
        records.clear();
        run_ends.clear();
        template_events.clear();
        malformed = 0;
        unknown_data_sets = 0;
        unknown_sets.clear();
        loc_storage.clear();
    }
};

struct decoder_config {
    template_cache_config templates;
};

class decoder {
public:
    explicit decoder(decoder_config config = {});

    // Decodes one datagram payload sent by `from`. Returns false when the message header itself
    // is unusable (nothing decoded). Views in `out` stay valid until the next decode().
    bool decode(const exporter_endpoint& from, std::span<const uint8_t> message, uint64_t now_ms,
                decoded_message& out);

    const decode_counters& counters() const { return counters_; }
    template_cache& templates() { return cache_; }
    const template_cache& templates() const { return cache_; }

private:
    bool decode_v5(const exporter_endpoint& from, std::span<const uint8_t> msg, uint64_t now_ms,
                   decoded_message& out);
    bool decode_v9(const exporter_endpoint& from, std::span<const uint8_t> msg, uint64_t now_ms,
                   decoded_message& out);
    bool decode_ipfix(const exporter_endpoint& from, std::span<const uint8_t> msg, uint64_t now_ms,
                      decoded_message& out);

    void template_set(stream_state& s, std::span<const uint8_t> set, bool options, uint64_t now_ms,
                      decoded_message& out);
    void v9_options_template_set(stream_state& s, std::span<const uint8_t> set, uint64_t now_ms,
                                 decoded_message& out);
    static void reserve_locs(decoded_message& out, size_t more);
    // Return the number of records decoded from the data set.
    uint32_t data_set(stream_state& s, uint16_t set_id, std::span<const uint8_t> set, uint64_t now_ms,
                      decoded_message& out);
    uint32_t variable_set(const template_def& t, std::span<const uint8_t> set, decoded_message& out);
    void count_set(bool options, uint32_t records, size_t padding) {
        counters_.padding_bytes += padding;
        counters_.records += records;
        if (options) counters_.options_records += records;
    }
    void store_template(stream_state& s, template_def&& t, std::span<const uint8_t> wire,
                        uint64_t now_ms, decoded_message& out);
    void track_sequence(stream_state& s, uint32_t sequence, uint32_t units, bool complete);
    void count(malformed m, decoded_message& out);

    decode_counters counters_;
    template_cache cache_;
};

}  // namespace ipfix::proto
