// as_database: publish/reclaim semantics, and a reader thread doing bursts of lookups while a
// reloader thread replaces the table (bounded counts). Run under ASan and TSan it also proves no
// table is freed while a reader holds it and no reader sees a half-built one.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>

#include "ipfix/enrich/as_database.hpp"
#include "ipfix/enrich/table_loader.hpp"
#include "test_data.hpp"

using namespace ipfix::enrich;
using ipfix::proto::ip_address;

namespace {

// Generation g: every attribute row carries AS g, over a thousand random segments inside
// 10.0.0.0/8 and 2001:db8::/32, so that a reader can tell which table answered and building and
// freeing a table takes real work.
constexpr uint32_t v4_base = 0x0a000000;
const u128 v6_base = u128{0x20010db8} << 96;

std::shared_ptr<const prefix_table> table_for(uint32_t g) {
    std::mt19937_64 rng(g);
    table_parts p;
    p.orgs.push_back("generation " + std::to_string(g));
    p.attributes.push_back(as_attributes{g, 1, {'Z', 'Z'}});
    p.attributes.push_back(as_attributes{g, 0, {}});
    p.v4 = {{0, 0}, {v4_base, 1}};
    p.v6 = {{0, 0}, {v6_base, 1}};
    for (int i = 1; i < 1000; ++i) {
        p.v4.push_back({v4_base + static_cast<uint32_t>(i) * 0x4000 + static_cast<uint32_t>(rng() % 0x4000),
                        static_cast<uint32_t>(1 + i % 2)});
        p.v6.push_back({v6_base + (u128{static_cast<uint32_t>(i) * 0x4000u + rng() % 0x4000} << 64),
                        static_cast<uint32_t>(1 + i % 2)});
    }
    p.v4.push_back({v4_base + 0x01000000, 0});
    p.v6.push_back({v6_base + (u128{1} << 96), 0});
    return std::make_shared<const prefix_table>(std::move(p));
}

ip_address v4_in_range(uint32_t r) { return ip_address::v4_host(v4_base + (r & 0x00ffffff)); }

ip_address v6_in_range(uint32_t r) {
    ip_address a;
    a.family = 6;
    v6_bytes(v6_base + (u128{r} << 64) + r, a.bytes.data());
    return a;
}

}  // namespace

TEST_CASE("as_database starts empty and publishes") {
    as_database db;
    CHECK(db.generation() == 0);
    CHECK_FALSE(db.snapshot()->lookup(*ip_address::parse("10.2.3.4")).found);
    db.publish(table_for(7));
    CHECK(db.generation() == 1);
    CHECK(db.snapshot()->lookup(*ip_address::parse("10.2.3.4")).asn == 7);
    CHECK(db.snapshot()->lookup(*ip_address::parse("2001:db8::1")).asn == 7);
    CHECK_FALSE(db.snapshot()->lookup(*ip_address::parse("11.2.3.4")).found);
    CHECK_THROWS_AS(db.publish(nullptr), std::invalid_argument);
}

TEST_CASE("a replaced table lives until its last reader moves on, and is freed by reclaim") {
    as_database db(table_for(1));
    as_database::reader r(db);
    std::weak_ptr<const prefix_table> first = db.snapshot();
    CHECK(r.current().lookup(*ip_address::parse("10.9.9.9")).asn == 1);

    db.publish(table_for(2));  // reclaims what it can: the reader still holds table 1
    CHECK_FALSE(first.expired());
    CHECK(db.reclaim() == 1);
    // Until its next current() call the reader keeps answering from table 1.
    CHECK(r.generation() == 0);

    CHECK(r.current().lookup(*ip_address::parse("10.9.9.9")).asn == 2);
    CHECK(r.generation() == 1);
    CHECK_FALSE(first.expired());  // the reader dropped it, only the database holds it now
    CHECK(db.reclaim() == 0);
    CHECK(first.expired());
}

TEST_CASE("reload from files") {
    as_database db;
    as_database::reader r(db);
    db.reload({enrich_test::data_path("GeoLite2-ASN-Test.mmdb"), enrich_test::data_path("GeoLite2-Country-Test.mmdb")});
    const prefix_table& t = r.current();
    CHECK(t.sources().size() == 2);
    CHECK(t.lookup(*ip_address::parse("1.128.0.0")).asn == 1221);
}

TEST_CASE("stress: lookups during reloads see whole tables, in order") {
#if defined(__SANITIZE_ADDRESS__)
    constexpr uint32_t reloads = 25;  // each reload builds a table, 4x slower under ASan
#else
    constexpr uint32_t reloads = 100;
#endif
    as_database db(table_for(1));
    std::atomic<bool> done{false};
    std::atomic<uint64_t> bursts{0}, lookups{0}, torn{0}, backwards{0}, changes{0};

    std::thread reader_thread([&] {
        as_database::reader r(db);
        std::mt19937 rng(5);
        uint32_t last_seen = 0;
        // Bounded: stops when the reloader is done, or after a generous number of bursts.
        for (uint64_t burst = 0; burst < 50'000'000 && !done.load(std::memory_order_acquire); ++burst) {
            const prefix_table& t = r.current();
            const uint32_t g = t.lookup(ip_address::v4_host(v4_base)).asn;
            if (g < last_seen) backwards.fetch_add(1, std::memory_order_relaxed);
            if (g != last_seen) changes.fetch_add(1, std::memory_order_relaxed);
            last_seen = g;
            for (int i = 0; i < 32; ++i) {
                const auto a = static_cast<uint32_t>(rng());
                const auto x = t.lookup(v4_in_range(a));
                const auto y = t.lookup(v6_in_range(a));
                if (x.asn != g || y.asn != g || (x.country != "ZZ" && !x.country.empty()))
                    torn.fetch_add(1, std::memory_order_relaxed);
            }
            lookups.fetch_add(64, std::memory_order_relaxed);
            bursts.fetch_add(1, std::memory_order_relaxed);
        }
    });

    std::thread reloader_thread([&] {
        for (uint32_t g = 2; g <= reloads; ++g) {
            db.publish(table_for(g));
            // Let the reader catch up now and then, so that tables really are replaced under it.
            if (g % 8 == 0)
                for (int spin = 0; spin < 1000 && bursts.load(std::memory_order_relaxed) < g * 4; ++spin)
                    std::this_thread::yield();
        }
        done.store(true, std::memory_order_release);
    });

    reloader_thread.join();
    reader_thread.join();
    INFO(bursts.load() << " bursts, " << lookups.load() << " lookups, " << changes.load() << " tables seen");
    CHECK(torn.load() == 0);
    CHECK(backwards.load() == 0);
    CHECK(changes.load() > 2);  // the reader really was handed new tables while running
    CHECK(db.generation() == reloads - 1);
    // The reader is gone: everything replaced can be freed.
    CHECK(db.reclaim() == 0);
    CHECK(db.snapshot()->lookup(ip_address::v4_host(v4_base)).asn == reloads);
}
