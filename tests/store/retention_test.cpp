// The retention store: the block codec gives back every field as written (and refuses damaged
// blocks without reading past them); the store answers time-range, AS and address queries with
// exactly the records that match, expires by age, drops the oldest over the size cap (counted),
// keeps what it holds across a reopen, and refuses directories that are not its own.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "retention_old_blocks.hpp"
#include "temp_dir.hpp"
#include "ipfix/config/config.hpp"
#include "ipfix/store/retention_codec.hpp"
#include "ipfix/store/retention_filter.hpp"
#include "ipfix/store/retention_store.hpp"

using namespace ipfix;
using pipeline::flow_summary;
using store::retention_store;

namespace {

proto::ip_address addr(const char* text) { return *proto::ip_address::parse(text); }

// One line per record with every field, to compare whole results as strings.
std::string describe(const flow_summary& s) {
    std::ostringstream o;
    o << s.seen_ms << " " << s.flow_start_ms << "-" << s.flow_end_ms << " " << s.exporter.to_string() << ":"
      << s.exporter_port << " v" << int{s.version} << " d" << s.domain << " t" << s.template_id << " "
      << s.source.to_string() << ":" << s.source_port << ">" << s.destination.to_string() << ":" << s.destination_port
      << " p" << int{s.protocol} << " as" << s.source_as << (s.source_as_filled ? "*" : "") << ">" << s.destination_as
      << (s.destination_as_filled ? "*" : "") << " cc" << std::string(s.source_country.data(), 2) << "/"
      << std::string(s.destination_country.data(), 2) << " " << s.bytes << "B " << s.packets << "P if"
      << s.input_interface << "/" << s.output_interface << "\n";
    return o.str();
}

// Record i: seen at base + 10 i ms, AS 64500 + i % 5, source 10.0.(i/256).(i%256), every
// third on an IPv6 exporter.
flow_summary record(uint64_t base_ms, uint32_t i) {
    flow_summary s;
    s.seen_ms = base_ms + 10ull * i;
    s.flow_start_ms = i % 4 == 0 ? 0 : s.seen_ms - 5000 + i;
    s.flow_end_ms = i % 4 == 0 ? 0 : s.seen_ms + (i % 3);  // sometimes after seen (exporter clocks)
    s.exporter = i % 3 == 0 ? addr("2001:db8::7") : addr("192.0.2.1");
    s.exporter_port = static_cast<uint16_t>(40000 + i % 2);
    s.version = i % 3 == 0 ? 10 : 9;
    s.domain = 1 + i % 2;
    s.template_id = 256;
    const uint8_t src[4] = {10, 0, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i % 256)};
    s.source = proto::ip_address::v4(src);
    s.destination = i % 7 == 0 ? addr("2001:db8:1::1") : addr("198.51.100.9");
    if (i % 11 == 0) s.destination = {};
    s.source_port = static_cast<uint16_t>(1024 + i);
    s.destination_port = 443;
    s.protocol = 6;
    s.source_as = 64500 + i % 5;
    s.destination_as = i % 2 ? 15169 : 0;
    s.source_as_filled = i % 2 == 0;
    s.destination_as_filled = i % 2 == 1;
    if (i % 5 != 0) s.source_country = {'D', 'E'};
    if (i % 2) s.destination_country = {'U', 'S'};
    s.bytes = 1500ull * i + (i % 2 ? uint64_t{1} << 40 : 0);
    s.packets = i + 1;
    s.input_interface = i % 6 == 0 ? 0 : 3;
    s.output_interface = i % 6 == 0 ? 0 : 70000;
    return s;
}

std::string decoded(const std::string& block) {
    std::string out;
    REQUIRE(store::decode_block(block, [&](const flow_summary& s) {
        out += describe(s);
        return true;
    }));
    return out;
}

std::string query(const retention_store& r, uint64_t from, uint64_t to, uint64_t now,
                  const retention_store::record_predicate& match = {}) {
    std::string out;
    r.query(from, to, now, match, [&](const flow_summary& s) {
        out += describe(s);
        return true;
    });
    return out;
}

std::string expected(uint64_t base, uint32_t from_i, uint32_t to_i, const std::function<bool(const flow_summary&)>& keep = {}) {
    std::string out;
    for (uint32_t i = from_i; i < to_i; ++i) {
        const flow_summary s = record(base, i);
        if (!keep || keep(s)) out += describe(s);
    }
    return out;
}

constexpr uint64_t base = 1'700'000'000'000;

}  // namespace

TEST_CASE("retentionBlockRoundTrip", "[retention]") {
    store::block_encoder e;
    std::string want;
    // Out of time order on purpose: late records from a slow worker.
    for (uint32_t i : {5u, 3u, 9u, 0u, 1u, 2u, 14u, 7u, 66u, 700u}) {
        e.add(record(base, i));
        want += describe(record(base, i));
    }
    CHECK(e.records() == 10);
    const std::string block = e.finish();
    CHECK(e.records() == 0);
    store::block_info info;
    REQUIRE(store::read_block_info(block, info));
    CHECK(info.records == 10);
    CHECK(info.first_seen_ms == base);
    CHECK(info.last_seen_ms == base + 7000);
    CHECK(decoded(block) == want);
    // Compact: well under the in-memory size, though each record here is a group of its own
    // (their seen times differ), whose key and layout take some 21 bytes of it.
    CHECK(block.size() < 10 * sizeof(flow_summary) * 2 / 3);
    CHECK(e.finish().empty());
}

TEST_CASE("retentionBlockDamaged", "[retention]") {
    store::block_encoder e;
    for (uint32_t i = 0; i < 50; ++i) e.add(record(base, i));
    const std::string block = e.finish();
    // Every truncation is refused, never read past.
    for (size_t n = 0; n < block.size(); ++n) {
        size_t seen = 0;
        CHECK_FALSE(store::decode_block(std::string_view(block).substr(0, n), [&](const flow_summary&) {
            ++seen;
            return true;
        }));
        CHECK(seen <= 50);
    }
    // Trailing bytes are a fault too.
    CHECK_FALSE(store::decode_block(block + "x", [](const flow_summary&) { return true; }));
    // Flipped bytes: a clean refusal or records, never a crash (run under the sanitizers).
    for (size_t at = 0; at < block.size(); at += 3) {
        std::string bad = block;
        bad[at] = static_cast<char>(bad[at] ^ 0x5a);
        store::decode_block(bad, [](const flow_summary&) { return true; });
    }
    store::block_info info;
    CHECK_FALSE(store::read_block_info("Q\x01", info));
}

TEST_CASE("retentionQueries", "[retention]") {
    test::temp_dir dir;
    store::retention_options o;
    o.block_records = 100;
    std::ostringstream log;
    {
        auto r = retention_store::open(dir.str("r"), o);
        for (uint32_t i = 0; i < 1000; ++i) r->add(record(base, i));
        r->flush(log);
        const auto c = r->counters();
        CHECK(c.records_written == 1000);
        CHECK(c.blocks_written == 10);
        CHECK(c.records_held == 1000);
        CHECK(c.write_errors == 0);
        const uint64_t now = base + 10'000;
        CHECK(query(*r, 0, UINT64_MAX, now) == expected(base, 0, 1000));
        // Inside blocks, across block edges: records 250..612 exactly.
        CHECK(query(*r, base + 2500, base + 6120, now) == expected(base, 250, 613));
        store::record_filter by_as;
        by_as.as = 64502;
        CHECK(query(*r, base + 1000, UINT64_MAX, now, std::cref(by_as)) ==
              expected(base, 100, 1000, [](const flow_summary& s) { return s.source_as == 64502; }));
        store::record_filter by_address;
        by_address.address = addr("10.0.1.44");  // record 300
        CHECK(query(*r, 0, UINT64_MAX, now, std::cref(by_address)) == expected(base, 300, 301));
        store::record_filter by_v6;
        by_v6.address = addr("2001:db8:1::1");
        by_v6.exporter = addr("2001:db8::7");
        CHECK(query(*r, 0, UINT64_MAX, now, std::cref(by_v6)) ==
              expected(base, 0, 1000, [](const flow_summary& s) {
                  return s.destination == addr("2001:db8:1::1") && s.exporter == addr("2001:db8::7");
              }));
        // emit false stops at once.
        size_t got = 0;
        CHECK(r->query(0, UINT64_MAX, now, {}, [&](const flow_summary&) { return ++got < 3; }) == 3);
        CHECK(got == 3);
    }
    // Reopened: the same records, the counts rebuilt from the index.
    auto r = retention_store::open(dir.str("r"), o);
    CHECK(r->counters().records_held == 1000);
    CHECK(query(*r, base + 9000, UINT64_MAX, base + 10'000) == expected(base, 900, 1000));
    // New blocks after the old ones (the sequence goes on): nothing overwritten.
    for (uint32_t i = 1000; i < 1100; ++i) r->add(record(base, i));
    r->flush(log);
    CHECK(query(*r, 0, UINT64_MAX, base + 20'000) == expected(base, 0, 1100));
    CHECK(log.str().empty());
}

TEST_CASE("retentionExpiry", "[retention]") {
    test::temp_dir dir;
    store::retention_options o;
    o.block_records = 100;
    o.max_age_ms = 5000;
    std::ostringstream log;
    auto r = retention_store::open(dir.str("r"), o);
    for (uint32_t i = 0; i < 1000; ++i) r->add(record(base, i));
    r->flush(log);
    // At base + 9981 records seen before base + 4981 are older than 5 s: records 0..498. Blocks
    // 0..3 go whole; block 4 (400..499) straddles the cut: its older records are hidden.
    const uint64_t now = base + 9981;
    CHECK(query(*r, 0, UINT64_MAX, now) == expected(base, 499, 1000));
    r->tick(now, log);
    auto c = r->counters();
    CHECK(c.expired_records == 400);
    CHECK(c.records_held == 600);
    CHECK(query(*r, 0, UINT64_MAX, now) == expected(base, 499, 1000));
    // Even asked with an old "now", the expired blocks are gone from the disk.
    CHECK(query(*r, 0, base + 3999, base + 1000) == "");
    CHECK(query(*r, 0, base + 4009, base + 1000) == expected(base, 400, 401));
    r->tick(base + 20'000, log);
    c = r->counters();
    CHECK(c.expired_records == 1000);
    CHECK(c.records_held == 0);
    CHECK(c.bytes_held == 0);
    CHECK(query(*r, 0, UINT64_MAX, base) == "");
    CHECK(log.str().empty());
}

TEST_CASE("retentionSizeCap", "[retention]") {
    test::temp_dir dir;
    store::retention_options o;
    o.block_records = 100;
    o.max_bytes = 20'000;
    std::ostringstream log;
    auto r = retention_store::open(dir.str("r"), o);
    for (uint32_t i = 0; i < 3000; ++i) r->add(record(base, i));
    r->flush(log);
    const uint64_t before = r->counters().bytes_held;
    REQUIRE(before > 20'000);
    r->tick(base + 30'000, log);
    const auto c = r->counters();
    CHECK(c.bytes_held <= 20'000);
    CHECK(c.bytes_held > 20'000 - before / 30 * 2);  // no more dropped than needed (blocks are ~1/30 each)
    CHECK(c.dropped_records % 100 == 0);
    CHECK(c.dropped_records + c.records_held == 3000);
    // The newest are what is left.
    const uint32_t first_kept = static_cast<uint32_t>(c.dropped_records);
    CHECK(query(*r, 0, UINT64_MAX, base + 30'000) == expected(base, first_kept, 3000));
}

TEST_CASE("retentionBlockByAgeAndSpan", "[retention]") {
    test::temp_dir dir;
    store::retention_options o;
    o.block_ms = 1000;
    std::ostringstream log;
    auto r = retention_store::open(dir.str("r"), o);
    r->add(record(base, 0));
    r->tick(base + 999, log);
    CHECK(r->counters().blocks_written == 0);
    r->tick(base + 1000, log);
    CHECK(r->counters().blocks_written == 1);
    // A record far from the open block's starts a new one: a block's span stays bounded.
    r->add(record(base, 100));
    r->add(record(base + retention_store::max_block_span_ms + 1, 100));
    r->flush(log);
    CHECK(r->counters().blocks_written == 3);
}

TEST_CASE("retentionRefusesForeignDirectories", "[retention]") {
    test::temp_dir dir;
    store::retention_options o;
    {
        std::ofstream(dir.str("notes.txt")) << "hello";
    }
    CHECK_THROWS_WITH(retention_store::open(dir.str(), o), Catch::Contains("no RocksDB database"));
    {
        rocksdb::Options ro;
        ro.create_if_missing = true;
        rocksdb::DB* db = nullptr;
        REQUIRE(rocksdb::DB::Open(ro, dir.str("other"), &db).ok());
        REQUIRE(db->Put(rocksdb::WriteOptions(), "k", "v").ok());
        delete db;
    }
    CHECK_THROWS_WITH(retention_store::open(dir.str("other"), o), Catch::Contains("another program"));
    CHECK_THROWS_WITH(retention_store::open(dir.str("notes.txt"), o), Catch::Contains("not a directory"));
}

namespace {

// Opens a retention directory as RocksDB alone and changes it: what another program, another
// build or a damaged disk could leave.
void tamper(const std::string& path, const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle* blocks)>& f) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, {}}, {"blocks", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &h, &db).ok());
    f(*db, h[1]);
    for (auto* x : h) REQUIRE(db->DestroyColumnFamilyHandle(x).ok());
    delete db;
}

std::string refusal(const std::string& path) {
    try {
        retention_store::open(path, store::retention_options{});
    } catch (const store::store_error& e) {
        return e.what();
    }
    return "(opened)";
}

}  // namespace

TEST_CASE("retentionRefusesOtherFormatsAndDamage", "[retention]") {
    test::temp_dir dir;
    { auto r = retention_store::open(dir.str(), store::retention_options{}); }
    const std::string prefix = "retention store " + dir.str() + ": ";
    SECTION("another format of ours") {
        tamper(dir.str(), [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle*) {
            REQUIRE(db.Put(rocksdb::WriteOptions(), "format", "ipfix-enricher retention 99").ok());
        });
        CHECK(refusal(dir.str()) == prefix + "has format 'ipfix-enricher retention 99', this build reads "
                                             "'ipfix-enricher retention 2'; refusing to use it");
    }
    SECTION("records but no format key") {
        tamper(dir.str(), [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* blocks) {
            REQUIRE(db.Delete(rocksdb::WriteOptions(), "format").ok());
            REQUIRE(db.Put(rocksdb::WriteOptions(), blocks, "k", "v").ok());
        });
        CHECK(refusal(dir.str()) == prefix + "has records but no format key; refusing to use it");
    }
    SECTION("a corrupted database") {
        std::ofstream(dir.str("CURRENT"), std::ios::trunc) << "MANIFEST-999999\n";
        CHECK(refusal(dir.str()).starts_with(prefix + "cannot open: "));
    }
    SECTION("a format-1 store is taken over: its blocks still read, its key says format 2") {
        const std::string block = test::format_1_block();
        tamper(dir.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* blocks) {
            REQUIRE(db.Put(rocksdb::WriteOptions(), "format", "ipfix-enricher retention 1").ok());
            // Keyed and indexed as the store does: big-endian first seen ms and sequence.
            const std::string key("\x00\x00\x01\x8b\xcf\xe5\x68\x78\0\0\0\0\0\0\0\0", 16);
            const std::string index("\x00\x00\x01\x8b\xcf\xe5\x68\x7b\0\0\0\0\0\0\0\x8d\0\0\0\0\0\0\0\x02", 24);
            REQUIRE(db.Put(rocksdb::WriteOptions(), blocks, key, block).ok());
            REQUIRE(db.Put(rocksdb::WriteOptions(), "i" + key, index).ok());
        });
        {
            auto r = retention_store::open(dir.str(), store::retention_options{});
            CHECK(r->counters().records_held == 2);
            std::vector<std::string> got;
            r->query(0, UINT64_MAX, 1700000000200, {}, [&](const flow_summary& s) {
                got.push_back(describe(s));
                return true;
            });
            REQUIRE(got.size() == 2);
            CHECK(got[0].starts_with(test::format_1_records[0]));
            CHECK(got[1].starts_with(test::format_1_records[1]));
        }
        tamper(dir.str(), [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle*) {
            std::string format;
            REQUIRE(db.Get(rocksdb::ReadOptions(), "format", &format).ok());
            CHECK(format == "ipfix-enricher retention 2");
        });
    }
    SECTION("an empty one of ours opens again") {
        CHECK(refusal(dir.str()) == "(opened)");
    }
}

TEST_CASE("retentionConfig", "[retention][config]") {
    const auto d = config::parse("", "test.yaml", false);
    CHECK(d.store.retention.enabled);
    CHECK(d.store.retention.max_age_seconds == 3600);
    CHECK(d.store.retention.max_bytes == uint64_t{1} << 30);
    const auto c = config::parse("store:\n  retention:\n    enabled: false\n    max_age_seconds: 60\n    max_bytes: 8388608\n",
                                 "test.yaml", false);
    CHECK_FALSE(c.store.retention.enabled);
    CHECK(c.store.retention.max_age_seconds == 60);
    CHECK(c.store.retention.max_bytes == 8388608);
    CHECK_THROWS_WITH(config::parse("store:\n  retention:\n    max_bytes: 1000\n", "test.yaml", false),
                      Catch::Contains("test.yaml:3: store.retention.max_bytes"));
    CHECK_THROWS_WITH(config::parse("store:\n  retention:\n    size: 1\n", "test.yaml", false),
                      Catch::Contains("unknown key"));
}
