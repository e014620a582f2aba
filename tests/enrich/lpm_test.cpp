// The longest-prefix-match structures (poptrie, DIR-24-8) against the obvious reference (binary
// search over the partition), on random partitions shaped like prefix tables.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "ipfix/enrich/dir24_8.hpp"
#include "ipfix/enrich/poptrie.hpp"

using namespace ipfix::enrich;

namespace {

template <class Key>
Key random_key(std::mt19937_64& rng) {
    if constexpr (sizeof(Key) == 16) return (u128{rng()} << 64) | rng();
    else return static_cast<Key>(rng());
}

// Boundaries at the first and one-past-last address of random prefixes (so nested and adjacent
// prefixes appear), lengths weighted towards those real tables use; random values with repeats.
template <class Key>
std::vector<segment<Key>> random_partition(std::mt19937_64& rng, size_t prefixes, uint32_t values) {
    constexpr unsigned bits = key_bits<Key>;
    std::set<Key> starts{Key{0}};
    for (size_t i = 0; i < prefixes; ++i) {
        unsigned len = static_cast<unsigned>(rng() % (bits + 1));
        if (rng() % 2) len = bits == 32 ? 16 + static_cast<unsigned>(rng() % 9) : 24 + static_cast<unsigned>(rng() % 41);
        const Key first = prefix_of(random_key<Key>(rng), len);
        const Key last = prefix_last(first, len);
        starts.insert(first);
        if (last != std::numeric_limits<Key>::max()) starts.insert(static_cast<Key>(last + 1));
    }
    std::vector<segment<Key>> p;
    for (Key s : starts) p.push_back({s, static_cast<uint32_t>(rng() % 3 == 0 ? 0 : rng() % values)});
    return p;
}

template <class Key>
uint32_t reference(const std::vector<segment<Key>>& p, Key k) {
    auto it = std::upper_bound(p.begin(), p.end(), k, [](Key key, const segment<Key>& s) { return key < s.start; });
    return std::prev(it)->value;
}

template <class Key, class Table>
void check_random(uint64_t seed, size_t prefixes, uint32_t values) {
    std::mt19937_64 rng(seed);
    const auto p = random_partition<Key>(rng, prefixes, values);
    const Table t(p);
    size_t mismatches = 0, probes = 0;
    auto probe = [&](Key k) {
        ++probes;
        if (t.find(k) != reference(p, k)) ++mismatches;
    };
    for (const auto& s : p) {
        probe(s.start);
        probe(static_cast<Key>(s.start - 1));
        probe(static_cast<Key>(s.start + 1));
    }
    std::vector<Key> keys;
    for (int i = 0; i < 20000; ++i) keys.push_back(random_key<Key>(rng));
    for (const auto& s : p) keys.push_back(s.start);
    keys.push_back(Key{0});
    keys.push_back(std::numeric_limits<Key>::max());
    for (Key k : keys) probe(k);
    // find_batch agrees with find, for batch sizes around its internal group of 16.
    std::vector<uint32_t> batch(keys.size());
    for (size_t at = 0, size = 1; at < keys.size(); at += size, size = size % 37 + 1)
        t.find_batch(keys.data() + at, batch.data() + at, std::min(size, keys.size() - at));
    size_t batch_mismatches = 0;
    for (size_t i = 0; i < keys.size(); ++i) batch_mismatches += batch[i] != t.find(keys[i]);
    CHECK(batch_mismatches == 0);
    INFO("seed " << seed << ", " << p.size() << " segments, " << probes << " probes");
    CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("poptrie IPv4 matches the reference on random prefix tables") {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        check_random<uint32_t, poptrie<uint32_t, 16>>(seed, 3000, 50);
        check_random<uint32_t, poptrie<uint32_t, 18>>(seed, 3000, 50);
        check_random<uint32_t, poptrie<uint32_t, 20>>(seed, 3000, 50);
    }
    check_random<uint32_t, poptrie<uint32_t, 18>>(99, 60000, 5000);
}

TEST_CASE("poptrie IPv6 matches the reference on random prefix tables") {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        check_random<u128, poptrie<u128, 16>>(seed, 3000, 50);
        check_random<u128, poptrie<u128, 20>>(seed, 3000, 50);
        // Nodes of 4 records (8-bit strides); from 20 direct bits the last stride stops short of bit 128.
        check_random<u128, poptrie<u128, 20, 2>>(seed, 3000, 50);
        check_random<u128, poptrie<u128, 24, 2>>(seed, 3000, 50);
    }
    check_random<u128, poptrie<u128, 16>>(99, 40000, 5000);
    check_random<u128, poptrie<u128, 24, 2>>(99, 40000, 5000);
}

TEST_CASE("DIR-24-8 matches the reference on random prefix tables") {
    for (uint64_t seed = 1; seed <= 3; ++seed) check_random<uint32_t, dir24_8>(seed, 3000, 50);
    check_random<uint32_t, dir24_8>(99, 60000, 5000);
}

TEST_CASE("DIR-24-8 edge cases") {
    const dir24_8 empty;
    CHECK(empty.find(0x01020304) == 0);
    CHECK(empty.memory_bytes() == 0);
    const std::vector<segment<uint32_t>> zeros{{0, 0}, {0x0a000000, 0}};
    CHECK(dir24_8(zeros).memory_bytes() == 0);  // nothing to map
    const std::vector<segment<uint32_t>> p{{0, 1}, {1, 2}, {0x0a000000, 3}, {0x0a000001, 0}, {0xffffffff, 4}};
    dir24_8 t(p);
    CHECK(t.find(0) == 1);
    CHECK(t.find(1) == 2);
    CHECK(t.find(0x09ffffff) == 2);
    CHECK(t.find(0x0a000000) == 3);
    CHECK(t.find(0x0a000001) == 0);
    CHECK(t.find(0xfffffffe) == 0);
    CHECK(t.find(0xffffffff) == 4);
    CHECK(t.group_count() == 3);
    dir24_8 moved(std::move(t));
    CHECK(moved.find(0x0a000000) == 3);
    CHECK(t.find(0x0a000000) == 0);  // NOLINT(bugprone-use-after-move): a moved-from table is empty
    using p4 = std::vector<segment<uint32_t>>;
    CHECK_THROWS_AS(dir24_8(p4{{5, 1}}), std::invalid_argument);
    CHECK_THROWS_AS(dir24_8(p4{{0, 1}, {9, 2}, {4, 3}}), std::invalid_argument);
    CHECK_THROWS_AS(dir24_8(p4{{0, 0x80000000u}}), std::invalid_argument);
}

TEST_CASE("poptrie edge cases") {
    SECTION("empty and single-segment tables") {
        const poptrie<uint32_t, 18> empty;
        CHECK(empty.find(0) == 0);
        CHECK(empty.find(0xffffffff) == 0);
        const std::vector<segment<uint32_t>> one{{0, 7}};
        const poptrie<uint32_t, 18> t(one);
        CHECK(t.find(0) == 7);
        CHECK(t.find(0xffffffff) == 7);
        CHECK(t.node_count() == 0);
    }
    SECTION("host routes at both ends of the space") {
        const std::vector<segment<uint32_t>> p{{0, 1}, {1, 2}, {0xfffffffe, 3}, {0xffffffff, 4}};
        const poptrie<uint32_t, 18> t(p);
        CHECK(t.find(0) == 1);
        CHECK(t.find(1) == 2);
        CHECK(t.find(0x80000000) == 2);
        CHECK(t.find(0xfffffffe) == 3);
        CHECK(t.find(0xffffffff) == 4);
        const std::vector<segment<u128>> q{{0, 1}, {~u128{0}, 2}};
        const poptrie<u128, 16> t6(q);
        CHECK(t6.find(0) == 1);
        CHECK(t6.find(~u128{0} - 1) == 1);
        CHECK(t6.find(~u128{0}) == 2);
    }
    SECTION("every /32 of a /24 different") {
        std::vector<segment<uint32_t>> p{{0, 0}};
        for (uint32_t i = 0; i < 256; ++i) p.push_back({0x0a000000 + i, i + 1});
        p.push_back({0x0a000100, 0});
        const poptrie<uint32_t, 18> t(p);
        for (uint32_t i = 0; i < 256; ++i) CHECK(t.find(0x0a000000 + i) == i + 1);
        CHECK(t.find(0x0a000100) == 0);
        CHECK(t.find(0x09ffffff) == 0);
    }
    SECTION("malformed partitions are refused") {
        using p4 = std::vector<segment<uint32_t>>;
        CHECK_THROWS_AS((poptrie<uint32_t, 18>(p4{{5, 1}})), std::invalid_argument);
        CHECK_THROWS_AS((poptrie<uint32_t, 18>(p4{{0, 1}, {9, 2}, {9, 3}})), std::invalid_argument);
        CHECK_THROWS_AS((poptrie<uint32_t, 18>(p4{{0, 1}, {9, 2}, {4, 3}})), std::invalid_argument);
        CHECK_THROWS_AS((poptrie<uint32_t, 18>(p4{{0, 0x80000000u}})), std::invalid_argument);
    }
}
