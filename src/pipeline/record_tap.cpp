#include "ipfix/pipeline/record_tap.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <system_error>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace ipfix::pipeline {
namespace {

// What enrichment decided for one record, as the ring carries it.
struct packed_values {
    uint32_t source_as = 0;
    uint32_t destination_as = 0;
    std::array<char, 2> source_country{};
    std::array<char, 2> destination_country{};
    uint8_t flags = 0;  // write_source_as, write_destination_as
    uint8_t pad[3]{};
};
static_assert(sizeof(packed_values) == 16);

constexpr uint8_t wrote_source = 1;
constexpr uint8_t wrote_destination = 2;

// Every entry starts 16-aligned with this, then the packed values of its records, then the
// datagram (so that every part starts 16-aligned, for the worker's non-temporal stores); a size of 0 says the rest of the ring up to
// its end is unused (the entry did not fit there) and the next entry is at the start.
struct alignas(16) entry_head {
    uint32_t size = 0;  // the whole entry, padded to 16
    uint16_t payload_length = 0;
    uint16_t records = 0;
    uint64_t now_ms = 0;
    proto::exporter_endpoint from;
};

constexpr size_t align16(size_t n) { return (n + 15) & ~size_t{15}; }
static_assert(sizeof(entry_head) % 16 == 0 && sizeof(packed_values) == 16);

// The worker writes the ring with non-temporal stores: the consumer reads each byte once, on
// another core, and ordinary stores would first read each line of the 16 MiB ring into the
// worker's cache (evicting its lookup tables) only to have the consumer's core take it back.
// `to` is 16-aligned; the last 16 bytes are padded with zeros (entries are 16-aligned too).
void stream_out(uint8_t* to, const uint8_t* from, size_t n) {
#if defined(__x86_64__)
    auto* out = reinterpret_cast<__m128i*>(to);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm_stream_si128(out++, _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i)));
    if (i < n) {
        alignas(16) uint8_t last[16] = {};
        std::memcpy(last, from + i, n - i);
        _mm_stream_si128(out, _mm_load_si128(reinterpret_cast<const __m128i*>(last)));
    }
#else
    std::memcpy(to, from, n);
#endif
}

// Non-temporal stores are not ordered by the release store that publishes them.
void stream_fence() {
#if defined(__x86_64__)
    _mm_sfence();
#endif
}

// How far the consumer reads before it hands the space back (a 64 KiB ring's smallest step).
constexpr uint64_t head_publish_step = 16 << 10;
// How far the worker writes before it shows the consumer, unless its burst ends first: the
// fence that orders the non-temporal stores before the tail waits for them to reach memory,
// and once per datagram it cost the worker more than the stores themselves.
constexpr uint64_t tail_publish_step = 16 << 10;

}  // namespace

struct record_tap::ring {
    explicit ring(size_t bytes)
        : capacity(std::bit_ceil(std::max<size_t>(bytes, 1 << 16))),
          mask(capacity - 1),
          // Not value-initialised: pages are touched only once a listener makes them used.
          words(new uint64_t[capacity / 8]) {}

    uint8_t* at(uint64_t position) { return reinterpret_cast<uint8_t*>(words.get()) + (position & mask); }

    const size_t capacity;
    const uint64_t mask;
    std::unique_ptr<uint64_t[]> words;
    alignas(64) std::atomic<uint64_t> head{0};  // consumer's position
    uint64_t tail_seen = 0;                     // consumer's copy of tail
    alignas(64) std::atomic<uint64_t> tail{0};  // producer's position, as the consumer may read it
    uint64_t written = 0;                       // producer's position, published or not
    uint64_t head_seen = 0;                     // producer's copy of head
    uint64_t wake_at = capacity / 2;            // producer's: where it next looks whether to ring
};

tap_bell::tap_bell() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

tap_bell::~tap_bell() { ::close(fd_); }

void tap_bell::ring() {
    const uint64_t one = 1;
    // Fails only with the counter near 2^64 (EAGAIN): rung already.
    [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof one);
}

bool tap_bell::answer() {
    uint64_t count = 0;
    return ::read(fd_, &count, sizeof count) == static_cast<ssize_t>(sizeof count);
}

bool tap_bell::wait(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    (void)::poll(&p, 1, timeout_ms);  // EINTR: answered as it stands
    return answer();
}

record_tap::record_tap(size_t bytes, proto::decoder_config decoding)
    : ring_(std::make_unique<ring>(bytes)), decoder_(decoding) {}

record_tap::~record_tap() = default;

void record_tap::push(const proto::exporter_endpoint& from, std::span<const uint8_t> payload, uint64_t now_ms,
                      std::span<const mediate::record_values> values) {
    ring& r = *ring_;
    const size_t need = align16(sizeof(entry_head) + payload.size() + values.size() * sizeof(packed_values));
    const uint64_t tail = r.written;
    const size_t room_to_end = r.capacity - (tail & r.mask);
    const size_t skip = room_to_end < need ? room_to_end : 0;
    const bool fits = need <= r.capacity / 2 && payload.size() <= UINT16_MAX && values.size() <= UINT16_MAX;
    if (fits && tail + skip + need - r.head_seen > r.capacity) r.head_seen = r.head.load(std::memory_order_acquire);
    if (!fits || tail + skip + need - r.head_seen > r.capacity) {
        // One writer: a plain add, published with a relaxed store (no locked instruction).
        dropped_records_.store(dropped_records_.load(std::memory_order_relaxed) + values.size(),
                               std::memory_order_relaxed);
        return;
    }
    if (skip != 0) {
        const uint32_t marker = 0;
        std::memcpy(r.at(tail), &marker, sizeof marker);
    }
    uint8_t* p = r.at(tail + skip);
    entry_head h;
    h.size = static_cast<uint32_t>(need);
    h.payload_length = static_cast<uint16_t>(payload.size());
    h.records = static_cast<uint16_t>(values.size());
    h.now_ms = now_ms;
    h.from = from;
    stream_out(p, reinterpret_cast<const uint8_t*>(&h), sizeof h);
    p += sizeof h;
    for (const mediate::record_values& v : values) {
        packed_values pv;
        pv.source_as = v.source_as;
        pv.destination_as = v.destination_as;
        pv.source_country = v.source_country;
        pv.destination_country = v.destination_country;
        pv.flags = static_cast<uint8_t>((v.write_source_as ? wrote_source : 0) |
                                        (v.write_destination_as ? wrote_destination : 0));
        stream_out(p, reinterpret_cast<const uint8_t*>(&pv), sizeof pv);
        p += sizeof pv;
    }
    stream_out(p, payload.data(), payload.size());
    r.written = tail + skip + need;
    if (r.written - r.tail.load(std::memory_order_relaxed) >= tail_publish_step) publish();
}

void record_tap::publish() {
    ring& r = *ring_;
    if (r.written == r.tail.load(std::memory_order_relaxed)) return;
    stream_fence();
    r.tail.store(r.written, std::memory_order_release);
    if (bell_ != nullptr && r.written >= r.wake_at) passed_half(r.written);
}

// Reads the consumer's position only here, once per half ring at most: at the ring's half-full
// mark, or half a ring after the last ring.
void record_tap::passed_half(uint64_t tail) {
    ring& r = *ring_;
    const uint64_t half = r.capacity / 2;
    r.head_seen = r.head.load(std::memory_order_acquire);
    if (tail - r.head_seen >= half) {
        bell_->ring();
        rings_.store(rings_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        r.wake_at = tail + half;
    } else {
        r.wake_at = r.head_seen + half;
    }
}

size_t record_tap::drain_into(void (*f)(void*, const tapped_datagram&), void* ctx) {
    ring& r = *ring_;
    size_t n = 0;
    uint64_t head = r.head.load(std::memory_order_relaxed);
    uint64_t published = head;
    for (;;) {
        if (head == r.tail_seen) {
            r.tail_seen = r.tail.load(std::memory_order_acquire);
            if (head == r.tail_seen) break;
        }
        // The space freed goes back to the worker in steps, not a datagram at a time: each
        // store takes the line holding `head` from a worker that reads it at a full ring.
        if (head - published >= head_publish_step) {
            r.head.store(head, std::memory_order_release);
            published = head;
        }
        const uint8_t* p = r.at(head);
        entry_head h;
        std::memcpy(&h.size, p, sizeof h.size);
        if (h.size == 0) {
            head += r.capacity - (head & r.mask);
            continue;
        }
        std::memcpy(&h, p, sizeof h);
        const uint8_t* packed = p + sizeof h;
        const std::span<const uint8_t> payload(packed + h.records * sizeof(packed_values), h.payload_length);
        // The datagram decodes as it did on the worker unless a template it needs travelled in
        // a datagram the ring dropped: then its records are not the worker's, and are skipped.
        if (!decoder_.decode(h.from, payload, h.now_ms, msg_) || msg_.records.size() != h.records) {
            unmatched_records_.store(unmatched_records_.load(std::memory_order_relaxed) + h.records,
                                     std::memory_order_relaxed);
        } else {
            values_.resize(h.records);
            size_t data = 0;
            for (size_t i = 0; i < h.records; ++i) {
                packed_values pv;
                std::memcpy(&pv, packed + i * sizeof pv, sizeof pv);
                mediate::record_values& v = values_[i];
                v.source_as = pv.source_as;
                v.destination_as = pv.destination_as;
                v.source_country = pv.source_country;
                v.destination_country = pv.destination_country;
                v.write_source_as = (pv.flags & wrote_source) != 0;
                v.write_destination_as = (pv.flags & wrote_destination) != 0;
                data += msg_.records[i].tmpl->options ? 0 : 1;
            }
            if (data != 0) f(ctx, tapped_datagram{msg_, values_, h.now_ms, data});
            n += data;
        }
        head += h.size;
    }
    r.head.store(head, std::memory_order_release);
    return n;
}

size_t record_feed::poll(std::span<record_tap* const> taps) {
    wanting_.assign(consumers_.size(), false);
    bool any = false;
    summaries_wanted_ = false;
    for (size_t i = 0; i < consumers_.size(); ++i) {
        wanting_[i] = consumers_[i].wants();
        any = any || wanting_[i];
        summaries_wanted_ = summaries_wanted_ || (wanting_[i] && !consumers_[i].take_datagram);
    }
    for (record_tap* t : taps) t->listen(any);
    // Drained even when nobody wants them any more: what the workers pushed before the taps went
    // off must not be handed to the next listener as if it were new.
    batch_.clear();
    size_t n = 0;
    for (record_tap* t : taps) {
        n += t->drain_datagrams([this](const tapped_datagram& d) {
            for (size_t i = 0; i < consumers_.size(); ++i) {
                if (wanting_[i] && consumers_[i].take_datagram) consumers_[i].take_datagram(d);
            }
            if (!summaries_wanted_) return;
            for (size_t i = 0; i < d.message.records.size(); ++i) {
                const proto::record_view& r = d.message.records[i];
                if (!r.tmpl->options) batch_.push_back(summarize(d.message, r, d.values[i], d.seen_ms));
            }
            // Handed over in slices that stay in the cache, not a tenth of a second's worth.
            if (batch_.size() >= 4096) hand_over_batch();
        });
    }
    hand_over_batch();
    return n;
}

void record_feed::hand_over_batch() {
    if (batch_.empty()) return;
    for (size_t i = 0; i < consumers_.size(); ++i) {
        if (wanting_[i] && !consumers_[i].take_datagram) consumers_[i].take(batch_);
    }
    batch_.clear();
}

uint64_t record_feed::drops(std::span<record_tap* const> taps) {
    uint64_t n = 0;
    for (const record_tap* t : taps) n += t->drops() + t->unmatched();
    return n;
}

}  // namespace ipfix::pipeline
