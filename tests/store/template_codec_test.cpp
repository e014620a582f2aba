// The store's encoding: every kind of template comes back as the decoder built it, wire bytes
// included; bytes that are not a valid entry are refused with a reason, never read past.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "decode_session.hpp"
#include "ipfix_builder.hpp"
#include "v9_builder.hpp"
#include "ipfix/store/template_codec.hpp"

using namespace ipfix;
using namespace ipfix::test;

namespace {

const proto::exporter_endpoint exporter = endpoint("2001:db8::7", 4739);

// Learns the templates of `message` and returns the one under `id`.
std::shared_ptr<const proto::template_def> learn(std::vector<uint8_t> message, const proto::stream_key& key, uint16_t id) {
    decode_session s;
    REQUIRE(s.feed(std::move(message), 5000, key.exporter));
    REQUIRE(s.counters().templates_learned >= 1);
    auto def = s.dec.templates().share(key, id);
    REQUIRE(def != nullptr);
    return def;
}

// Encodes, decodes and rebuilds; the result must equal what the decoder built from the wire.
void check_round_trip(const proto::stream_key& key, const proto::template_def& def) {
    const std::string k = store::encode_key(key, def.id);
    const std::string v = store::encode_value(store::from_def(key, def, 1'700'000'123'456));
    CHECK(k.size() == store::template_key_size);
    const store::decode_result r = store::decode(k, v);
    REQUIRE(r.error.empty());
    REQUIRE(r.value);
    CHECK(r.value->stream == key);
    CHECK(r.value->id == def.id);
    CHECK(r.value->last_seen_ms == 1'700'000'123'456);
    const auto back = store::to_def(*r.value);
    REQUIRE(back != nullptr);
    CHECK(back->wire == def.wire);
    CHECK(back->fields == def.fields);
    CHECK(back->options == def.options);
    CHECK(back->scope_count == def.scope_count);
    CHECK(back->version == def.version);
    CHECK(back->variable == def.variable);
    CHECK(back->min_record_length == def.min_record_length);
    CHECK(back->known == def.known);
}

}  // namespace

TEST_CASE("codec: IPFIX template with enterprise and variable-length fields", "[store][codec]") {
    const proto::stream_key key{exporter, 42, proto::protocol_version::ipfix};
    const auto def = learn(ipfix_builder({.domain = 42})
                               .template_set()
                               .template_record(300, {{8, 4}, {12, 4}, {16, 4}, {1, 0xFFFF, 32473}, {7, 2}, {82, 0xFFFF}})
                               .build(),
                           key, 300);
    REQUIRE(def->fields[3].pen == 32473);
    REQUIRE(def->variable);
    check_round_trip(key, *def);
}

TEST_CASE("codec: IPFIX options template keeps its scope", "[store][codec]") {
    const proto::stream_key key{endpoint("192.0.2.1", 2055), 0, proto::protocol_version::ipfix};
    const auto def = learn(
        ipfix_builder().options_template_set().options_template_record(257, 2, {{149, 4}, {10, 4}, {82, 0xFFFF}, {5, 1, 9}}).build(),
        key, 257);
    REQUIRE(def->options);
    REQUIRE(def->scope_count == 2);
    check_round_trip(key, *def);
}

TEST_CASE("codec: NetFlow v9 template and options template", "[store][codec]") {
    const proto::stream_key key{endpoint("192.0.2.1", 2055), 7, proto::protocol_version::netflow_v9};
    const auto msg = v9_builder({.source_id = 7})
                         .template_flowset()
                         .template_record(256, {{8, 4}, {12, 4}, {16, 2}, {17, 2}})
                         .options_template_flowset()
                         .options_template_record(260, {{1, 4}}, {{34, 4}, {35, 1}})
                         .align_set(4)
                         .build();
    check_round_trip(key, *learn(msg, key, 256));
    const auto opt = learn(msg, key, 260);
    REQUIRE(opt->options);
    check_round_trip(key, *opt);
}

TEST_CASE("codec: keys sort by stream, the stream prefix covers exactly its templates", "[store][codec]") {
    const proto::stream_key a{endpoint("192.0.2.1", 2055), 1, proto::protocol_version::ipfix};
    const proto::stream_key b{endpoint("192.0.2.1", 2055), 2, proto::protocol_version::ipfix};
    const std::string prefix = store::encode_stream_prefix(a);
    CHECK(prefix.size() == store::stream_prefix_size);
    CHECK(store::encode_key(a, 256).starts_with(prefix));
    CHECK(store::encode_key(a, 65535).starts_with(prefix));
    CHECK_FALSE(store::encode_key(b, 256).starts_with(prefix));
    CHECK(store::encode_key(a, 65535) < store::encode_key(b, 256));
}

TEST_CASE("codec: bad keys and values are refused with a reason", "[store][codec]") {
    const proto::stream_key key{endpoint("192.0.2.1", 2055), 0, proto::protocol_version::ipfix};
    store::stored_template t{key, 256, false, 0, {{8, 4}, {12, 4}}, 1000};
    const std::string k = store::encode_key(key, 256);
    const std::string v = store::encode_value(t);
    REQUIRE(store::decode(k, v).value);

    auto refused = [](std::string_view kk, std::string_view vv) {
        const store::decode_result r = store::decode(kk, vv);
        CHECK_FALSE(r.value);
        return r.error;
    };
    CHECK(refused(k.substr(0, 26), v) == "not a template key");
    CHECK(refused(k + "x", v) == "not a template key");
    std::string bad = k;
    bad[1] = 5;
    CHECK(refused(bad, v) == "bad address family in the key");
    bad = k;
    bad[10] = 1;  // past an IPv4 address
    CHECK(refused(bad, v) == "bad IPv4 address in the key");
    bad = k;
    bad[20] = 5;
    CHECK(refused(bad, v) == "bad protocol version in the key");
    CHECK(refused(store::encode_key(key, 255), v) == "template id below 256 in the key");

    CHECK(refused(k, "") == "value too short");
    CHECK(refused(k, v.substr(0, 12)) == "value too short");
    for (size_t cut = 13; cut < v.size(); ++cut) {
        CHECK(refused(k, v.substr(0, cut)) == "value length does not match its field count");
    }
    CHECK(refused(k, v + '\0') == "value length does not match its field count");
    std::string w = v;
    w[0] = 2;
    CHECK(refused(k, w) == "unknown flags in the value");
    w = v;
    w[4] = static_cast<char>(0xFF);  // field count 255 with two fields' bytes
    CHECK(refused(k, w) == "value length does not match its field count");

    t.fields.clear();
    CHECK(refused(k, store::encode_value(t)) == "no fields");
    t.fields = {{8, 0}};
    CHECK(refused(k, store::encode_value(t)) == "records of no bytes");
    t.fields = {{8, 4}};
    t.scope_count = 1;  // scope on a data template
    CHECK(refused(k, store::encode_value(t)) == "bad scope count");
    t.options = true;
    t.scope_count = 2;
    CHECK(refused(k, store::encode_value(t)) == "bad scope count");
    t.scope_count = 0;
    CHECK(refused(k, store::encode_value(t)) == "bad scope count");
    t = {key, 256, false, 0, {{0x8008, 4}}, 0};
    CHECK(refused(k, store::encode_value(t)) == "element id with the enterprise bit");
    const proto::stream_key v9{endpoint("192.0.2.1", 2055), 0, proto::protocol_version::netflow_v9};
    t = {v9, 256, false, 0, {{8, 4, 9}}, 0};
    CHECK(refused(store::encode_key(v9, 256), store::encode_value(t)) == "enterprise field in a v9 template");
}

TEST_CASE("codec: every single-byte corruption of a value is refused or decodes to a usable template", "[store][codec]") {
    const proto::stream_key key{endpoint("192.0.2.1", 2055), 0, proto::protocol_version::ipfix};
    const store::stored_template t{key, 256, true, 1, {{10, 4}, {1, 0xFFFF, 32473}, {2, 8}}, 1000};
    const std::string k = store::encode_key(key, 256);
    const std::string v = store::encode_value(t);
    size_t refused = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        for (int x : {0x01, 0x80, 0xFF}) {
            std::string w = v;
            w[i] = static_cast<char>(w[i] ^ x);
            const store::decode_result r = store::decode(k, w);
            if (!r.value) {
                ++refused;
                CHECK_FALSE(r.error.empty());
                continue;
            }
            // Still well-formed (another length, time or id): it must rebuild without trouble.
            CHECK(r.value->fields.size() == 3);
            (void)store::to_def(*r.value);
        }
    }
    CHECK(refused > 0);
}
