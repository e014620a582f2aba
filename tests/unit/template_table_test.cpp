// The per-stream template table: every insert, lookup and erase (including backward-shift
// deletion inside probe runs that wrap around the array) agrees with std::map.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <random>

#include "ipfix/proto/template_table.hpp"

using ipfix::proto::template_slot;
using ipfix::proto::template_table;

namespace {

// The table's contents as a map id -> last_seen_ms, through for_each.
std::map<uint16_t, uint64_t> contents(const template_table& t) {
    std::map<uint16_t, uint64_t> m;
    t.for_each([&](uint16_t id, const template_slot& s) { m[id] = s.last_seen_ms; });
    return m;
}

}  // namespace

TEST_CASE("template_table: insert, find, erase match std::map under random operations") {
    std::mt19937 rng(7);
    // Few distinct ids relative to the operations, so runs collide, wrap and get erased in.
    std::uniform_int_distribution<int> pick_id(256, 256 + 300);
    std::uniform_int_distribution<int> pick_op(0, 9);
    template_table t;
    std::map<uint16_t, uint64_t> ref;
    for (uint64_t step = 1; step <= 20000; ++step) {
        const auto id = static_cast<uint16_t>(pick_id(rng));
        const int op = pick_op(rng);
        if (op < 5) {
            auto [slot, made] = t.try_emplace(id);
            REQUIRE(made == (ref.count(id) == 0));
            slot->last_seen_ms = step;
            ref[id] = step;
        } else if (op < 8) {
            REQUIRE(t.erase(id) == (ref.erase(id) == 1));
        } else {
            template_slot* s = t.find(id);
            const auto it = ref.find(id);
            REQUIRE((s != nullptr) == (it != ref.end()));
            if (s) REQUIRE(s->last_seen_ms == it->second);
        }
        REQUIRE(t.size() == ref.size());
        if (step % 1000 == 0) REQUIRE(contents(t) == ref);
    }
    // Every entry is still found after all the shifting.
    for (const auto& [id, seen] : ref) {
        REQUIRE(t.find(id) != nullptr);
        REQUIRE(t.find(id)->last_seen_ms == seen);
    }
}

TEST_CASE("template_table: erase_if removes exactly the matching entries") {
    template_table t;
    for (uint16_t id = 256; id < 256 + 100; ++id) t.try_emplace(id).first->last_seen_ms = id % 3;
    const size_t removed = t.erase_if([](uint16_t, template_slot& s) { return s.last_seen_ms == 0; });
    REQUIRE(removed == 33);  // ids 256..355 with id % 3 == 0: 258, 261, ..., 354
    REQUIRE(t.size() == 67);
    for (uint16_t id = 256; id < 256 + 100; ++id) {
        REQUIRE((t.find(id) != nullptr) == (id % 3 != 0));
    }
}

TEST_CASE("template_table: an empty table finds nothing and erases nothing") {
    template_table t;
    REQUIRE(t.find(256) == nullptr);
    REQUIRE_FALSE(t.erase(256));
    REQUIRE(t.size() == 0);
}
