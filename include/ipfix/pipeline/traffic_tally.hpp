// What one worker saw, for the stats port: counters per exporter, the templates each exporter
// stream sent, and the heaviest source and destination AS numbers (by records) and source
// addresses (by bytes) in space-saving summaries. All bounded; nothing shared on the data path.
//
// The worker counts into its own tables (plain integers, no atomics, no locks) and copies them
// to a snapshot only when the reader asks: the reader stores a request number, the worker sees
// it in publish() (its loop calls that every few bursts and when idle), copies, and stores the
// number back. Between request and answer the snapshot is the worker's; after, the reader's.
// A reset works the same way: the reader asks, the worker clears its own tables.
//
//   worker:  tally.datagram(from, size, decoded, msg, values, decoder.counters().sequence_gaps, now);
//            tally.publish();                          // every few bursts and when idle
//   reader:  traffic_report r = read_traffic(tallies, 100ms, now_ms);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <unordered_map>
#include <vector>

#include "ipfix/mediate/added_fields.hpp"
#include "ipfix/pipeline/space_saving.hpp"
#include "ipfix/proto/decoder.hpp"

namespace ipfix::pipeline {

struct exporter_tally {
    proto::exporter_endpoint exporter;
    uint8_t version = 0;  // of the last decoded datagram: 5, 9 or 10; 0 before one decoded
    uint64_t datagrams = 0;
    uint64_t records = 0;   // data records decoded (options records included)
    uint64_t bytes = 0;     // UDP payload bytes received
    uint64_t sequence_gaps = 0;
    uint64_t malformed = 0;  // malformed events (an undecodable datagram is one)
    uint64_t last_seen_ms = 0;
};

// A template an exporter stream sent (and did not withdraw).
struct template_tally {
    proto::stream_key stream;
    uint16_t id = 0;
    uint16_t fields = 0;
    bool options = false;
    uint64_t last_seen_ms = 0;  // when it was last sent
};

// A template_tally's identity: stream, id, options or not.
struct template_key_hash {
    size_t operator()(const template_tally& t) const noexcept;
};
struct template_key_equal {
    bool operator()(const template_tally& a, const template_tally& b) const noexcept {
        return a.stream == b.stream && a.id == b.id && a.options == b.options;
    }
};

// Inline (unlike proto::ip_address_hash): it runs once per record.
struct address_hash {
    size_t operator()(const proto::ip_address& a) const noexcept {
        uint64_t w[2];
        std::memcpy(w, a.bytes.data(), sizeof w);
        const uint64_t h = ((w[0] ^ a.family) * 0x9E3779B97F4A7C15ull) ^ (w[1] * 0xC2B2AE3D27D4EB4Full);
        return static_cast<size_t>(h ^ (h >> 29));
    }
};
struct as_hash {
    size_t operator()(uint32_t as) const noexcept { return (uint64_t{as} * 0x9E3779B97F4A7C15ull) >> 32; }
};

// One worker's tallies, or all workers' merged (read_traffic()).
struct traffic_report {
    std::vector<exporter_tally> exporters;
    uint64_t exporters_untracked = 0;  // datagrams of exporters over the bound
    std::vector<template_tally> templates;
    uint64_t templates_untracked = 0;  // templates over the bound
    heavy_list<uint32_t> source_as;        // count: records, other: bytes
    heavy_list<uint32_t> destination_as;   // count: records, other: bytes
    heavy_list<proto::ip_address> talkers;  // source addresses; count: bytes, other: records
    uint32_t sample_every = 1;              // > 1: past the exact budget, every n-th record, weighted n
};

struct tally_limits {
    size_t max_exporters = 4096;
    size_t max_templates = 4096;
    size_t top_k = 256;  // entries per space-saving summary
    // Each wall-clock second, the first `exact_per_second` records go into the summaries one by
    // one; past that, every `sample_every`-th with its weight multiplied (an update costs a few
    // hundred ns when keys churn, so the budget bounds the summaries' share of a busy core).
    uint32_t exact_per_second = 20'000;
    uint32_t sample_every = 256;
};

class traffic_tally {
public:
    explicit traffic_tally(const tally_limits& limits = {});

    // ---- worker side: the owning worker's thread only
    // One datagram from `from`, after decoding (and enrichment: `values` has one entry per
    // record of `msg`, or is empty when nothing was decoded). `sequence_gaps_total` is the
    // worker decoder's running count: the tally takes the difference.
    void datagram(const proto::exporter_endpoint& from, size_t bytes, bool decoded, const proto::decoded_message& msg,
                  std::span<const mediate::record_values> values, uint64_t sequence_gaps_total, uint64_t now_ms);
    // Applies a requested reset and answers a pending request; two relaxed loads when neither.
    void publish();

    // ---- reader side: one thread at a time (read_traffic and reset_traffic hold a lock)
    void request();
    // When the last request has been answered, copies the answer to last_read(); else false.
    bool take();
    const traffic_report& last_read() const { return last_read_; }
    // Also forgets last_read().
    void request_reset();

    const tally_limits& limits() const { return limits_; }

private:
    exporter_tally* find_exporter(const proto::exporter_endpoint& e);
    void count_record(const proto::record_view& r, const mediate::record_values& v, uint64_t scale);
    void note_templates(const proto::decoded_message& msg, uint64_t now_ms);
    void clear();

    tally_limits limits_;
    // Worker-owned.
    std::vector<exporter_tally> exporters_;
    std::vector<uint32_t> exporter_slots_;  // open addressing: index + 1, 0 empty
    uint32_t last_exporter_ = 0;            // index + 1 of the last hit
    uint64_t exporters_untracked_ = 0;
    std::vector<template_tally> templates_;
    std::unordered_map<template_tally, uint32_t, template_key_hash, template_key_equal> template_index_;
    uint64_t templates_untracked_ = 0;
    space_saving<uint32_t, as_hash> source_as_;
    space_saving<uint32_t, as_hash> destination_as_;
    space_saving<proto::ip_address, address_hash> talkers_;
    uint32_t sample_countdown_ = 1;
    uint64_t second_ = 0;
    uint32_t exact_left_ = 0;
    bool sampled_ = false;  // since the last reset
    uint64_t gaps_seen_ = 0;
    uint64_t resets_done_ = 0;
    uint64_t requests_done_ = 0;

    // Handed over: written by the worker between a request and its answer, read by the reader after.
    traffic_report snapshot_;
    alignas(64) std::atomic<uint64_t> requested_{0};  // reader stores
    std::atomic<uint64_t> resets_requested_{0};       // reader stores
    alignas(64) std::atomic<uint64_t> answered_{0};   // worker stores
    // Reader-owned.
    traffic_report last_read_;
    uint64_t next_request_ = 0;
    uint64_t next_reset_ = 0;
};

// Asks every tally, waits up to `wait` for the answers (a worker that does not answer in time,
// e.g. a stopped pipeline, contributes its previous snapshot), and merges: exporters and
// templates by key, summaries as merged space-saving summaries (bounds kept), sorted heaviest
// first. Templates not sent for `template_lifetime_ms` (0: no limit) before `now_ms` are left out,
// as the decoders have expired them.
traffic_report read_traffic(std::span<traffic_tally* const> tallies, std::chrono::milliseconds wait, uint64_t now_ms,
                            uint64_t template_lifetime_ms);
// Asks every tally to clear itself (exporters, templates, summaries); takes effect at each
// worker's next publish().
void reset_traffic(std::span<traffic_tally* const> tallies);

}  // namespace ipfix::pipeline
