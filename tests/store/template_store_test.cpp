// The RocksDB template store against a real database in a temp directory: what is put comes
// back after a close and reopen, withdrawals and expiry remove, and a directory that is not
// ours or an entry that does not decode is refused or skipped, never a crash.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <fstream>
#include <memory>
#include <string>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "temp_dir.hpp"
#include "v9_builder.hpp"
#include "ipfix/store/template_store.hpp"

using namespace ipfix;
using namespace ipfix::test;
using store::template_store;

namespace {

const proto::exporter_endpoint router = endpoint("192.0.2.1", 4739);
const proto::stream_key ipfix_stream{router, 1, proto::protocol_version::ipfix};
const proto::stream_key v9_stream{endpoint("2001:db8::1", 2055), 9, proto::protocol_version::netflow_v9};

// The templates the tests store: IPFIX data (enterprise + varlen), IPFIX options, v9 data.
struct learnt {
    decode_session ipfix;
    decode_session v9;
    learnt() {
        REQUIRE(ipfix.feed(ipfix_builder({.domain = 1})
                               .template_set()
                               .template_record(256, {{8, 4}, {12, 4}, {1, 0xFFFF, 32473}})
                               .template_record(257, {{27, 16}, {28, 16}})
                               .options_template_set()
                               .options_template_record(258, 1, {{149, 4}, {82, 0xFFFF}})
                               .build(),
                           1000, router));
        REQUIRE(v9.feed(v9_builder({.source_id = 9}).template_flowset().template_record(300, {{8, 4}, {16, 4}}).build(),
                        1000, v9_stream.exporter));
    }
    std::shared_ptr<const proto::template_def> get(const proto::stream_key& k, uint16_t id) {
        auto d = (k.version == proto::protocol_version::ipfix ? ipfix : v9).dec.templates().share(k, id);
        REQUIRE(d != nullptr);
        return d;
    }
};

bool commit(template_store& s) {
    std::string error;
    const bool ok = s.commit(error);
    CHECK(error.empty());
    return ok;
}

// "stream id kind=... last_seen" per entry, in key order: one string to compare whole stores.
std::string listing(const std::vector<store::stored_template>& all) {
    std::string out;
    for (const auto& t : all) {
        out += t.stream.exporter.address.to_string() + ":" + std::to_string(t.stream.exporter.port) + "/" +
               std::to_string(t.stream.domain) + "/v" + std::to_string(static_cast<int>(t.stream.version)) + " " +
               std::to_string(t.id) + (t.options ? " options " : " data ") + std::to_string(t.fields.size()) + "@" +
               std::to_string(t.last_seen_ms) + "\n";
    }
    return out;
}

void raw_put(const std::string& path, const std::string& key, const std::string& value) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options o;
    o.create_if_missing = true;
    REQUIRE(rocksdb::DB::Open(o, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    REQUIRE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    REQUIRE(db->Close().ok());
}

std::string refusal(const std::string& path, template_store::mode m = template_store::mode::read_write) {
    try {
        template_store::open(path, m);
    } catch (const store::store_error& e) {
        return e.what();
    }
    return "opened";
}

}  // namespace

TEST_CASE("store: templates put come back after close and reopen, exactly", "[store]") {
    temp_dir dir;
    learnt l;
    {
        auto s = template_store::open(dir.str("store"));
        CHECK(s->read_all().empty());
        s->put(ipfix_stream, *l.get(ipfix_stream, 256), 1000);
        s->put(ipfix_stream, *l.get(ipfix_stream, 257), 1001);
        s->put(ipfix_stream, *l.get(ipfix_stream, 258), 1002);
        s->put(v9_stream, *l.get(v9_stream, 300), 1003);
        CHECK(s->pending());
        REQUIRE(commit(*s));
        CHECK_FALSE(s->pending());
        CHECK(s->size() == 4);
        CHECK(s->counters().written == 4);
        CHECK(s->counters().commits == 1);
    }
    auto s = template_store::open(dir.str("store"));
    const auto all = s->load(2000, 60'000);
    CHECK(listing(all) ==
          "192.0.2.1:4739/1/v10 256 data 3@1000\n"
          "192.0.2.1:4739/1/v10 257 data 2@1001\n"
          "192.0.2.1:4739/1/v10 258 options 2@1002\n"
          "2001:db8::1:2055/9/v9 300 data 2@1003\n");
    CHECK(s->size() == 4);
    CHECK(s->counters().corrupt_skipped == 0);
    for (const auto& t : all) {
        const auto def = store::to_def(t);
        REQUIRE(def != nullptr);
        const auto original = l.get(t.stream, t.id);
        CHECK(def->wire == original->wire);
        CHECK(def->fields == original->fields);
        CHECK(def->scope_count == original->scope_count);
    }

    // Installed in a fresh decoder, data decodes without the template being sent again.
    decode_session restarted;
    for (const auto& t : all) REQUIRE(restarted.dec.templates().install(t.stream, store::to_def(t), t.last_seen_ms));
    REQUIRE(restarted.feed(ipfix_builder({.domain = 1}).data_set(256).ipv4("10.1.2.3").ipv4("10.4.5.6").u8(1).u8('x').build(),
                           2000, router));
    REQUIRE(restarted.msg.records.size() == 1);
    CHECK(restarted.msg.records[0].source_address().to_string() == "10.1.2.3");
    CHECK(restarted.msg.records[0].destination_address().to_string() == "10.4.5.6");
    CHECK(text_at(restarted.msg.records[0], 2) == "x");
    // A re-sent template is a refresh of the installed one, not a redefinition.
    REQUIRE(restarted.feed(ipfix_builder({.domain = 1}).template_set().template_record(256, {{8, 4}, {12, 4}, {1, 0xFFFF, 32473}}).build(),
                           2001, router));
    CHECK(restarted.counters().templates_refreshed == 1);
    CHECK(restarted.counters().templates_redefined == 0);
}

TEST_CASE("store: a redefinition replaces, withdrawals remove one or all of a kind", "[store]") {
    temp_dir dir;
    learnt l;
    {
        auto s = template_store::open(dir.str());
        s->put(ipfix_stream, *l.get(ipfix_stream, 256), 1000);
        s->put(ipfix_stream, *l.get(ipfix_stream, 257), 1000);
        s->put(ipfix_stream, *l.get(ipfix_stream, 258), 1000);
        s->put(v9_stream, *l.get(v9_stream, 300), 1000);
        REQUIRE(commit(*s));
        // 257 redefined as 256's fields: the same key, the new fields and time.
        proto::template_def redefined = *l.get(ipfix_stream, 256);
        redefined.id = 257;
        s->put(ipfix_stream, redefined, 1500);
        s->remove(ipfix_stream, 256);
        s->remove(ipfix_stream, 999);  // not stored: nothing
        s->remove_all(ipfix_stream, true);  // options only: 258
        REQUIRE(commit(*s));
        CHECK(s->counters().removed == 2);
    }
    {
        auto s = template_store::open(dir.str());
        CHECK(listing(s->load(2000, 60'000)) ==
              "192.0.2.1:4739/1/v10 257 data 3@1500\n"
              "2001:db8::1:2055/9/v9 300 data 2@1000\n");
        s->remove_all(ipfix_stream, false);
        REQUIRE(commit(*s));
    }
    auto s = template_store::open(dir.str());
    CHECK(listing(s->load(2000, 60'000)) == "2001:db8::1:2055/9/v9 300 data 2@1000\n");
}

TEST_CASE("store: templates not sent for the lifetime expire, at load and while running", "[store]") {
    temp_dir dir;
    learnt l;
    {
        auto s = template_store::open(dir.str());
        s->put(ipfix_stream, *l.get(ipfix_stream, 256), 1000);
        s->put(ipfix_stream, *l.get(ipfix_stream, 257), 50'000);
        s->put(v9_stream, *l.get(v9_stream, 300), 100'000);
        REQUIRE(commit(*s));
    }
    {
        auto s = template_store::open(dir.str());
        // Lifetime 60 s at 61'001: 256 (sent at 1000) is over it, the others not.
        CHECK(listing(s->load(61'001, 60'000)) ==
              "192.0.2.1:4739/1/v10 257 data 2@50000\n"
              "2001:db8::1:2055/9/v9 300 data 2@100000\n");
        CHECK(s->counters().expired == 1);
        REQUIRE(commit(*s));  // the expired one is removed on disk too
        CHECK(s->expire(110'000, 60'000) == 0);
        CHECK(s->expire(110'001, 60'000) == 1);
        REQUIRE(commit(*s));
        CHECK(s->size() == 1);
    }
    auto s = template_store::open(dir.str(), template_store::mode::read_only);
    CHECK(listing(s->read_all()) == "2001:db8::1:2055/9/v9 300 data 2@100000\n");
}

TEST_CASE("store: a directory that is not ours is refused with what was found", "[store]") {
    temp_dir dir;
    SECTION("files of something else") {
        std::ofstream(dir.str("notes.txt")) << "hello\n";
        CHECK(refusal(dir.str()) == "template store " + dir.str() +
                                        ": holds files but no RocksDB database (no CURRENT file); refusing to use it");
    }
    SECTION("a file, not a directory") {
        std::ofstream(dir.str("file")) << "x";
        CHECK(refusal(dir.str("file")) == "template store " + dir.str("file") + ": is not a directory");
    }
    SECTION("another program's RocksDB") {
        raw_put(dir.str(), "user:1", "alice");
        CHECK(refusal(dir.str()) == "template store " + dir.str() +
                                        ": is a RocksDB database of another program (no 'meta/format' key); refusing to use it");
    }
    SECTION("another format of ours") {
        raw_put(dir.str(), "meta/format", "ipfix-enricher template store 99");
        CHECK(refusal(dir.str()) == "template store " + dir.str() +
                                        ": has format 'ipfix-enricher template store 99', this build reads "
                                        "'ipfix-enricher template store 1'; refusing to use it");
    }
    SECTION("a corrupted database") {
        { auto s = template_store::open(dir.str()); }
        std::ofstream(dir.str("CURRENT"), std::ios::trunc) << "MANIFEST-999999\n";
        const std::string r = refusal(dir.str());
        CHECK(r.starts_with("template store " + dir.str() + ": cannot open: "));
    }
    SECTION("read-only where there is none") {
        CHECK(refusal(dir.str("missing"), template_store::mode::read_only) ==
              "template store " + dir.str("missing") + ": does not exist");
    }
}

TEST_CASE("store: entries that do not decode are skipped and counted, the rest loads", "[store]") {
    temp_dir dir;
    learnt l;
    {
        auto s = template_store::open(dir.str());
        s->put(ipfix_stream, *l.get(ipfix_stream, 256), 1000);
        s->put(v9_stream, *l.get(v9_stream, 300), 1000);
        REQUIRE(commit(*s));
    }
    std::string value = store::encode_value(store::from_def(ipfix_stream, *l.get(ipfix_stream, 257), 1000));
    raw_put(dir.str(), store::encode_key(ipfix_stream, 257), value.substr(0, value.size() - 3));  // truncated
    raw_put(dir.str(), store::encode_key(ipfix_stream, 258), std::string(40, '\xFF'));            // garbage
    raw_put(dir.str(), "t-not-a-key", value);                                                      // bad key
    auto s = template_store::open(dir.str());
    CHECK(listing(s->load(2000, 60'000)) ==
          "192.0.2.1:4739/1/v10 256 data 3@1000\n"
          "2001:db8::1:2055/9/v9 300 data 2@1000\n");
    CHECK(s->counters().corrupt_skipped == 3);
    // A good put under a corrupt entry's key repairs it.
    s->put(ipfix_stream, *l.get(ipfix_stream, 257), 1500);
    REQUIRE(commit(*s));
    s.reset();
    s = template_store::open(dir.str());
    CHECK(s->load(2000, 60'000).size() == 3);
    CHECK(s->counters().corrupt_skipped == 2);
}
