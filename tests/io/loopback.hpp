// Helpers of the socket tests: slot buffers, and sending and receiving that wait with poll and
// a deadline, never a blocking call without one.
#pragma once

#include <poll.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "ipfix/io/udp_receiver.hpp"
#include "ipfix/io/udp_sender.hpp"

namespace io_test {

using namespace std::chrono_literals;

// Slots over buffers owned here.
struct slot_buffers {
    slot_buffers(size_t count, uint16_t capacity) : storage(count, std::vector<uint8_t>(capacity)), slots(count) {
        for (size_t i = 0; i < count; ++i) {
            slots[i].data = storage[i].data();
            slots[i].capacity = capacity;
        }
    }
    std::vector<std::vector<uint8_t>> storage;
    std::vector<ipfix::io::rx_slot> slots;
};

// A deterministic payload: its bytes depend on the index and the position.
inline std::vector<uint8_t> payload(size_t index, size_t size) {
    std::vector<uint8_t> p(size);
    for (size_t k = 0; k < size; ++k) p[k] = static_cast<uint8_t>(index * 31 + k * 7 + (k >> 8));
    return p;
}

inline int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    using std::chrono::milliseconds;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Receives into slots[0..) until `want` datagrams are in, or until nothing more comes within the
// timeout. Returns how many were received.
inline size_t receive_until(ipfix::io::udp_receiver& rx, std::span<ipfix::io::rx_slot> slots, size_t want,
                            std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t got = 0;
    while (got < want && got < slots.size()) {
        const size_t n = rx.receive_burst(slots.subspan(got, std::min(want, slots.size()) - got));
        got += n;
        if (n > 0) continue;
        std::vector<pollfd> fds;
        for (int fd : rx.fds()) fds.push_back({fd, POLLIN, 0});
        const int wait = remaining_ms(deadline);
        if (wait == 0 || ::poll(fds.data(), fds.size(), wait) <= 0) break;
    }
    return got;
}

// Sends all items, waiting (bounded) for room when the socket buffer is full. Returns how many
// send_burst dealt with.
template <class Sender, class Item>
size_t send_all(Sender& tx, std::span<const Item> items, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t done = 0;
    while (done < items.size()) {
        const size_t n = tx.send_burst(items.subspan(done));
        done += n;
        if (done == items.size() || remaining_ms(deadline) == 0) break;
        if (n == 0) {
            pollfd p{tx.fd(items[done].to.address.family), POLLOUT, 0};
            ::poll(&p, 1, std::min(remaining_ms(deadline), 100));
        }
    }
    return done;
}

inline ipfix::proto::ip_address ip(const char* text) { return *ipfix::proto::ip_address::parse(text); }

}  // namespace io_test

// Addresses print as text in failed checks.
namespace Catch {
template <>
struct StringMaker<ipfix::io::socket_address> {
    static std::string convert(const ipfix::io::socket_address& a) { return a.to_string(); }
};
}  // namespace Catch
