// How enriched records leave a worker for the operator (the tail stream) and the retention
// store: one tap per worker, a bounded byte ring the worker writes into and one consumer
// thread (the daemon's control thread) drains. Off unless someone listens, so an idle tap
// costs a worker one relaxed load per datagram.
//
// A listening worker copies the export datagram as it came and, per record, the 16 bytes of
// what enrichment decided: one memcpy of ~50 bytes a record instead of building a summary
// (which cost the worker a third of its speed). The consumer decodes the datagrams again with
// its own decoder (the same exporters, in the same order, so the same templates) and builds
// the summaries on its own core. A full ring drops the datagram, counted with its records;
// a datagram whose records no longer line up (its template was in a dropped one) is skipped,
// counted too.
//
//   tap.listen(true);                                      // consumer: retention, or a tail client
//   if (tap.listening()) tap.push(from, payload, now, v);  // worker, per datagram
//   tap.publish();                                         // worker, at the end of its burst
//   tap.drain([](const flow_summary& s) {...});            // consumer: summaries (the tail)
//   tap.drain_datagrams([](const tapped_datagram& d) {...});  // or whole datagrams (retention)
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "ipfix/mediate/added_fields.hpp"
#include "ipfix/pipeline/flow_summary.hpp"
#include "ipfix/proto/decoder.hpp"

namespace ipfix::pipeline {

// One tapped datagram as the consumer decoded it again: values[i] is what enrichment decided for
// message.records[i]; `data_records` of them are data records (the rest options records, which
// neither the tail nor retention keep). Valid during the call only.
struct tapped_datagram {
    const proto::decoded_message& message;
    std::span<const mediate::record_values> values;
    uint64_t seen_ms = 0;
    size_t data_records = 0;
};

// Wakes the consumer when a tap passes half full, so that it drains before the ring fills and
// not only on its timer: at full rate a worker fills a 16 MiB tap in some 15 ms, and the
// daemon's control thread otherwise wakes every 100 ms. An eventfd, so the consumer waits on it
// beside its other descriptors (the daemon's signals); one bell serves every worker's tap.
//
//   tap_bell bell;  tap.ring_at_half(&bell);            // before the worker runs
//   for (;;) { bell.wait(100); feed.poll(taps); }      // consumer
class tap_bell {
public:
    tap_bell();  // throws std::system_error when there is no eventfd to be had
    ~tap_bell();
    tap_bell(const tap_bell&) = delete;
    tap_bell& operator=(const tap_bell&) = delete;

    int fd() const { return fd_; }  // readable while rung
    // Worker: one write(2) that never blocks, at most once per half a ring of pushes.
    void ring();
    // Consumer: whether it was rung since the last answer, and silences it. Answered before
    // draining, a ring during the drain wakes the next wait instead of being lost.
    bool answer();
    // Consumer: waits up to `timeout_ms` for a ring, then answers.
    bool wait(int timeout_ms);

private:
    int fd_ = -1;
};

class record_tap {
public:
    // `bytes`: the ring's size (rounded up to a power of two); `decoding`: the consumer's
    // decoder, configured like the worker's.
    explicit record_tap(size_t bytes, proto::decoder_config decoding = {});
    ~record_tap();
    record_tap(const record_tap&) = delete;
    record_tap& operator=(const record_tap&) = delete;

    void listen(bool on) { listening_.store(on, std::memory_order_relaxed); }
    bool listening() const { return listening_.load(std::memory_order_relaxed); }

    // Worker only: datagram `payload` from `from`, decoded at `now_ms` into records whose
    // enrichment is `values` (one per decoded record, in order).
    // The consumer sees pushes once published: every 16 KiB, and by publish().
    void push(const proto::exporter_endpoint& from, std::span<const uint8_t> payload, uint64_t now_ms,
              std::span<const mediate::record_values> values);
    // Worker only: shows the consumer everything pushed (the worker calls it at each burst's end).
    void publish();

    // Consumer only. Calls f(const flow_summary&) for each data record waiting (options records
    // are left out); returns how many.
    template <class F>
    size_t drain(F&& f) {
        return drain_datagrams([&f](const tapped_datagram& d) {
            for (size_t i = 0; i < d.message.records.size(); ++i) {
                const proto::record_view& r = d.message.records[i];
                if (!r.tmpl->options) f(summarize(d.message, r, d.values[i], d.seen_ms));
            }
        });
    }

    // Consumer only. Calls f(const tapped_datagram&) for each datagram waiting whose records
    // line up with the worker's; returns how many data records they held. Building no summary
    // is what lets retention encode straight from the datagram.
    template <class F>
    size_t drain_datagrams(F&& f) {
        using callable = std::remove_reference_t<F>;
        return drain_into([](void* ctx, const tapped_datagram& d) { (*static_cast<callable*>(ctx))(d); }, &f);
    }

    // Rings `bell` whenever a push leaves the ring at least half full, once until the worker has
    // pushed another half ring (a consumer that does not answer is not rung on every datagram).
    // Set before the worker runs; null for none.
    void ring_at_half(tap_bell* bell) { bell_ = bell; }
    uint64_t rings() const { return rings_.load(std::memory_order_relaxed); }  // times rung

    // The consumer's decoder: for installing stored templates before the worker runs.
    proto::decoder& decoder() { return decoder_; }

    uint64_t drops() const { return dropped_records_.load(std::memory_order_relaxed); }  // records at a full ring
    // Records the consumer skipped: their template travelled in a dropped datagram.
    uint64_t unmatched() const { return unmatched_records_.load(std::memory_order_relaxed); }

private:
    struct ring;
    size_t drain_into(void (*f)(void*, const tapped_datagram&), void* ctx);
    void passed_half(uint64_t tail);

    // What the worker reads on every datagram, on a line of its own: the consumer's decoder
    // writes its counters on every datagram it decodes again, and sharing a line with them cost
    // the worker a cache miss a datagram.
    alignas(64) std::unique_ptr<ring> ring_;
    std::atomic<bool> listening_{false};
    std::atomic<uint64_t> dropped_records_{0};
    tap_bell* bell_ = nullptr;
    std::atomic<uint64_t> rings_{0};
    alignas(64) proto::decoder decoder_;  // consumer side
    proto::decoded_message msg_;      // consumer side
    std::vector<mediate::record_values> values_;  // consumer side
    std::atomic<uint64_t> unmatched_records_{0};  // written by the consumer only
};

// The consumer side over every worker's tap: who wants records, and handing each batch to them.
// Used from one thread (the control thread).
class record_feed {
public:
    // Takes either summaries in batches (`take`) or each datagram as it is drained
    // (`take_datagram`, which spares the feed building summaries nobody reads).
    struct consumer {
        std::function<bool()> wants;  // asked at every poll: listening costs the workers a copy
        std::function<void(std::span<const flow_summary>)> take;
        std::function<void(const tapped_datagram&)> take_datagram = {};
    };

    void add(consumer c) { consumers_.push_back(std::move(c)); }

    // Turns the taps on while any consumer wants records, drains them and gives the batch to
    // each consumer that wants it. Returns how many records were drained.
    size_t poll(std::span<record_tap* const> taps);

    // Records lost on the way, over all workers: dropped at full taps, or skipped for lack of
    // their template on the consumer's side.
    static uint64_t drops(std::span<record_tap* const> taps);

private:
    std::vector<consumer> consumers_;
    void hand_over_batch();

    std::vector<flow_summary> batch_;
    std::vector<bool> wanting_;
    bool summaries_wanted_ = false;
};

}  // namespace ipfix::pipeline
