// The TCP collector path's parts: IPFIX framing, the templates re-sent on a new connection, the
// spool (order, cap dropping the oldest, reopen), against a real RocksDB in a temp directory.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "ipfix/io/template_memory.hpp"
#include "ipfix/proto/byte_order.hpp"
#include "ipfix/store/spool.hpp"
#include "ipfix/store/template_store.hpp"
#include "tcp_messages.hpp"

using namespace ipfix;
using namespace ipfix::test;

TEST_CASE("ipfix_message_length frames whole messages only") {
    const std::vector<uint8_t> m = data_message(1, 7, 42);
    CHECK(io::ipfix_message_length(m) == m.size());
    std::vector<uint8_t> longer = m;
    longer.push_back(0);
    CHECK(io::ipfix_message_length(longer) == m.size());  // the next message's first byte follows
    CHECK(io::ipfix_message_length({m.data(), m.size() - 1}) == 0);
    std::vector<uint8_t> v9 = m;
    v9[1] = 9;
    CHECK(io::ipfix_message_length(v9) == 0);
    std::vector<uint8_t> short_len = m;
    proto::store_be16(short_len.data() + 2, 15);
    CHECK(io::ipfix_message_length(short_len) == 0);
    const io::ipfix_header h = io::read_ipfix_header(m);
    CHECK(h.domain == 1);
    CHECK(h.sequence == 7);
    CHECK(h.export_time == 1000);
}

TEST_CASE("template_memory re-sends what it learnt, per domain, stamped with the given header") {
    io::template_memory t;
    REQUIRE(t.learn(template_message(1, 0)));
    REQUIRE(t.learn(options_template_message(1, 0)));
    REQUIRE(t.learn(template_message(2, 0, 300)));
    CHECK(t.size() == 3);
    const auto out = t.messages_for(1, 5555, 77);
    REQUIRE(out.size() == 1);
    // header, template set (the data template), options template set
    std::vector<uint8_t> expected = {0, 10, 0, 0, 0, 0, 0x15, 0xB3, 0, 0, 0, 77, 0, 0, 0, 1};
    const std::vector<uint8_t> t_set = template_set(256);
    const std::vector<uint8_t> o_set = options_template_set(257);
    expected.insert(expected.end(), t_set.begin(), t_set.end());
    expected.insert(expected.end(), o_set.begin(), o_set.end());
    proto::store_be16(expected.data() + 2, static_cast<uint16_t>(expected.size()));
    CHECK(out[0] == expected);
    CHECK(t.messages_for(3, 1, 1).empty());

    SECTION("withdrawals forget") {
        REQUIRE(t.learn(withdrawal_message(1, 256)));
        const auto after = t.messages_for(1, 5555, 77);
        REQUIRE(after.size() == 1);
        CHECK(after[0].size() == 16 + o_set.size());
        REQUIRE(t.learn(withdrawal_message(1, 3, 3)));  // all options templates
        CHECK(t.messages_for(1, 1, 1).empty());
        CHECK(t.size() == 1);
    }
    SECTION("split at the size limit") {
        for (uint16_t id = 400; id < 440; ++id) REQUIRE(t.learn(template_message(4, 0, id)));
        const auto split = t.messages_for(4, 1, 9, 200);
        REQUIRE(split.size() > 1);
        size_t records = 0;
        for (const auto& m : split) {
            CHECK(m.size() <= 200);
            CHECK(io::ipfix_message_length(m) == m.size());
            records += (m.size() - 16 - 4) / (t_set.size() - 4);
        }
        CHECK(records == 40);
    }
    SECTION("a malformed template set is refused, never read past") {
        std::vector<uint8_t> bad = template_message(1, 0, 500);
        proto::store_be16(bad.data() + 16 + 4 + 2, 40);  // field count beyond the set
        CHECK_FALSE(t.learn(bad));
        CHECK_FALSE(t.learn({bad.data(), 10}));
        CHECK(t.size() == 3);
    }
}

namespace {

struct spool_db {
    temp_dir dir;
    std::unique_ptr<store::template_store> s = store::template_store::open(dir.str("store"));
    rocksdb::ColumnFamilyHandle* family() {
        std::string error;
        auto* f = s->column_family("spool", error);
        REQUIRE(f != nullptr);
        return f;
    }
};

std::vector<uint8_t> payload(uint8_t tag, size_t size) { return std::vector<uint8_t>(size, tag); }

}  // namespace

TEST_CASE("the spool keeps order, removes what was delivered and survives a reopen") {
    spool_db db;
    std::string error;
    {
        store::spool s(db.s->db(), db.family(), "127.0.0.1:4739", 1 << 20);
        for (uint8_t i = 0; i < 5; ++i) s.append(10 + i, payload(i, 30), {});
        s.append(3, payload(99, 30), {});  // taken back from a broken connection: goes first
        REQUIRE(s.commit(error));
        CHECK(s.messages() == 6);
        CHECK(s.bytes() == 180);
        auto all = s.read(0, 100);
        REQUIRE(all.size() == 6);
        CHECK(all[0].seq == 3);
        CHECK(all[0].bytes == payload(99, 30));
        for (uint8_t i = 0; i < 5; ++i) {
            CHECK(all[i + 1u].seq == 10u + i);
            CHECK(all[i + 1u].bytes == payload(i, 30));
        }
        CHECK(s.read(12, 2).size() == 2);
        CHECK(s.read(12, 2)[0].seq == 12);
        s.remove_through(11);
        REQUIRE(s.commit(error));
        CHECK(s.messages() == 3);
        CHECK(s.next_seq() == 15);
    }
    store::spool again(db.s->db(), db.family(), "127.0.0.1:4739", 1 << 20);
    CHECK(again.messages() == 3);
    CHECK(again.bytes() == 90);
    CHECK(again.next_seq() == 15);
    CHECK(again.read(0, 10)[0].seq == 12);
    store::spool other(db.s->db(), db.family(), "127.0.0.1:4740", 1 << 20);
    CHECK(other.empty());
    CHECK(db.s->read_all().empty());  // the template store's own keys are apart
    CHECK(db.s->counters().corrupt_skipped == 0);
}

TEST_CASE("at its cap the spool drops the oldest, counted and handed back") {
    spool_db db;
    std::string error;
    store::spool s(db.s->db(), db.family(), "c", 100);
    std::vector<uint8_t> dropped_tags;
    const auto on_drop = [&](std::span<const uint8_t> m) { dropped_tags.push_back(m[0]); };
    for (uint8_t i = 0; i < 5; ++i) s.append(i, payload(i, 30), on_drop);
    REQUIRE(s.commit(error));
    CHECK(s.messages() == 3);
    CHECK(s.bytes() == 90);
    CHECK(s.dropped() == 2);
    CHECK(dropped_tags == std::vector<uint8_t>{0, 1});
    const auto kept = s.read(0, 10);
    REQUIRE(kept.size() == 3);
    CHECK(kept[0].seq == 2);
    CHECK(kept[2].seq == 4);
    s.append(5, payload(5, 101), on_drop);  // over the cap alone
    CHECK(s.dropped() == 3);
    CHECK(dropped_tags.back() == 5);
    CHECK(s.messages() == 3);
}
