// The workers' template-change queue underneath: one producer thread, one consumer thread,
// every value arrives once and in order; a full ring refuses and leaves the value alone.
#include <catch2/catch.hpp>

#include <memory>
#include <thread>

#include "ipfix/pipeline/spsc_ring.hpp"

using ipfix::pipeline::spsc_ring;

TEST_CASE("spsc_ring: capacity rounds up to a power of two, a full ring refuses", "[store][ring]") {
    spsc_ring<int> r(5);
    CHECK(r.capacity() == 8);
    for (int i = 0; i < 8; ++i) CHECK(r.push(int{i}));
    CHECK_FALSE(r.push(8));
    int v = -1;
    CHECK(r.pop(v));
    CHECK(v == 0);
    CHECK(r.push(8));
    for (int want = 1; want <= 8; ++want) {
        REQUIRE(r.pop(v));
        CHECK(v == want);
    }
    CHECK_FALSE(r.pop(v));
}

TEST_CASE("spsc_ring: owning values are moved through, a refused one stays with the caller", "[store][ring]") {
    spsc_ring<std::shared_ptr<int>> r(2);
    auto a = std::make_shared<int>(1);
    CHECK(r.push(std::shared_ptr<int>(a)));
    CHECK(r.push(std::make_shared<int>(2)));
    auto refused = std::make_shared<int>(3);
    CHECK_FALSE(r.push(std::move(refused)));
    REQUIRE(refused != nullptr);  // not moved from
    CHECK(*refused == 3);
    std::shared_ptr<int> out;
    REQUIRE(r.pop(out));
    CHECK(out == a);
    CHECK(a.use_count() == 2);  // `a` and `out`: the ring's slot let go
}

TEST_CASE("spsc_ring: a producer and a consumer thread, every value once and in order", "[store][ring]") {
    constexpr uint64_t count = 200'000;
    spsc_ring<uint64_t> r(64);
    std::thread producer([&] {
        for (uint64_t i = 0; i < count;) {
            if (r.push(uint64_t{i})) ++i;
            else std::this_thread::yield();
        }
    });
    uint64_t next = 0;
    uint64_t out_of_order = 0;
    while (next < count) {
        uint64_t v = 0;
        if (!r.pop(v)) {
            std::this_thread::yield();
            continue;
        }
        out_of_order += v != next;
        next = v + 1;
    }
    producer.join();
    CHECK(next == count);
    CHECK(out_of_order == 0);
    uint64_t v = 0;
    CHECK_FALSE(r.pop(v));
}
