#include "ipfix/pipeline/record_tap.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <system_error>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace ipfix::pipeline {
namespace {

// What enrichment decided for one record, as the ring carries it: 16 bytes, two little-endian
// words. lo: source AS, destination AS << 32; hi: the source country's two characters, the
// destination's (<< 16), flags (<< 32).
constexpr size_t packed_size = 16;
constexpr uint64_t wrote_source = 1;
constexpr uint64_t wrote_destination = 2;

// Every entry starts 16-aligned with this, then the packed values of its records, then the
// datagram (so that every part starts 16-aligned, for the worker's non-temporal stores). A size
// of 0 says the rest of the ring up to its end is unused (the entry did not fit there) and the
// next entry is at the start. Written as words: size | payload_length << 32 | records << 48,
// then now_ms, then `from` as it is.
struct alignas(16) entry_head {
    uint32_t size = 0;  // the whole entry, padded to 16
    uint16_t payload_length = 0;
    uint16_t records = 0;
    uint64_t now_ms = 0;
    proto::exporter_endpoint from;
};
static_assert(std::endian::native == std::endian::little, "the ring's words are read back as a struct");
static_assert(offsetof(entry_head, payload_length) == 4 && offsetof(entry_head, records) == 6 &&
              offsetof(entry_head, now_ms) == 8 && offsetof(entry_head, from) == 16);

constexpr size_t align16(size_t n) { return (n + 15) & ~size_t{15}; }
static_assert(sizeof(entry_head) % 16 == 0);

uint64_t load_le(const uint8_t* p, size_t n) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    return v;
}

// Bytes p[0..n) (n <= 8) as a word, zeros above them, reading no byte past them and never through
// memory: two overlapping fixed-size loads (their common bytes are equal, so or-ing them is exact).
uint64_t partial_word(const uint8_t* p, size_t n) {
    if (n >= 4) return load_le(p, 4) | (load_le(p + n - 4, 4) << (8 * (n - 4)));
    if (n == 0) return 0;
    return uint64_t{p[0]} | (uint64_t{p[n / 2]} << (8 * (n / 2))) | (uint64_t{p[n - 1]} << (8 * (n - 1)));
}

// The worker writes the ring with non-temporal stores: the consumer reads each byte once, on
// another core, and ordinary stores would first read each line of the 16 MiB ring into the
// worker's cache (evicting its lookup tables) only to have the consumer's core take it back.
// Each 16 bytes go from two words in registers: a value built in memory piece by piece and then
// loaded whole stalls until the pieces are stored (no store forwarding), and at one per record
// that stall cost the worker more than the rest of the tap together. `to` is 16-aligned.
void stream_words(uint8_t* to, uint64_t lo, uint64_t hi) {
#if defined(__x86_64__)
    _mm_stream_si128(reinterpret_cast<__m128i*>(to),
                     _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo)));
#else
    std::memcpy(to, &lo, 8);
    std::memcpy(to + 8, &hi, 8);
#endif
}

// n bytes from `from` to 16-aligned `to`; the last 16 are padded with zeros.
void stream_out(uint8_t* to, const uint8_t* from, size_t n) {
    size_t i = 0;
#if defined(__x86_64__)
    for (; i + 16 <= n; i += 16) {
        _mm_stream_si128(reinterpret_cast<__m128i*>(to + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i)));
    }
#else
    for (; i + 16 <= n; i += 16) std::memcpy(to + i, from + i, 16);
#endif
    const size_t rest = n - i;
    if (rest != 0) {
        stream_words(to + i, partial_word(from + i, std::min<size_t>(rest, 8)),
                     rest > 8 ? partial_word(from + i + 8, rest - 8) : 0);
    }
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
    const size_t need = align16(sizeof(entry_head) + payload.size() + values.size() * packed_size);
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
    stream_words(p, need | uint64_t{payload.size()} << 32 | uint64_t{values.size()} << 48, now_ms);
    stream_out(p + 16, reinterpret_cast<const uint8_t*>(&from), sizeof from);
    p += sizeof(entry_head);
    for (const mediate::record_values& v : values) {
        const uint64_t flags = (v.write_source_as ? wrote_source : 0) | (v.write_destination_as ? wrote_destination : 0);
        const uint64_t hi = uint64_t{static_cast<uint8_t>(v.source_country[0])} |
                            uint64_t{static_cast<uint8_t>(v.source_country[1])} << 8 |
                            uint64_t{static_cast<uint8_t>(v.destination_country[0])} << 16 |
                            uint64_t{static_cast<uint8_t>(v.destination_country[1])} << 24 | flags << 32;
        stream_words(p, v.source_as | uint64_t{v.destination_as} << 32, hi);
        p += packed_size;
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
        const std::span<const uint8_t> payload(packed + h.records * packed_size, h.payload_length);
        // The datagram decodes as it did on the worker unless a template it needs travelled in
        // a datagram the ring dropped: then its records are not the worker's, and are skipped.
        if (!decoder_.decode(h.from, payload, h.now_ms, msg_) || msg_.records.size() != h.records) {
            unmatched_records_.store(unmatched_records_.load(std::memory_order_relaxed) + h.records,
                                     std::memory_order_relaxed);
        } else {
            values_.resize(h.records);
            size_t data = 0;
            for (size_t i = 0; i < h.records; ++i) {
                const uint64_t lo = load_le(packed + i * packed_size, 8);
                const uint64_t hi = load_le(packed + i * packed_size + 8, 8);
                mediate::record_values& v = values_[i];
                v.source_as = static_cast<uint32_t>(lo);
                v.destination_as = static_cast<uint32_t>(lo >> 32);
                v.source_country = {static_cast<char>(hi), static_cast<char>(hi >> 8)};
                v.destination_country = {static_cast<char>(hi >> 16), static_cast<char>(hi >> 24)};
                v.write_source_as = ((hi >> 32) & wrote_source) != 0;
                v.write_destination_as = ((hi >> 32) & wrote_destination) != 0;
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
