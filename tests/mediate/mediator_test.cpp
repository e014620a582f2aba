// Mediation judged by decoding its output with the protocol library's decoder: every input
// field kept, added fields equal to the values given, sequence numbers and templates right.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "ipfix/mediate/mediator.hpp"
#include "ipfix/proto/byte_order.hpp"
#include "ipfix/proto/decoder.hpp"
#include "ipfix/proto/message_writer.hpp"

using namespace ipfix;
using proto::field_spec;
using proto::protocol_version;

namespace {

struct collecting_sink : mediate::datagram_sink {
    std::vector<std::vector<uint8_t>> datagrams;
    void emit(std::span<const uint8_t> d) override { datagrams.emplace_back(d.begin(), d.end()); }
};

const proto::exporter_endpoint exporter{*proto::ip_address::parse("192.0.2.10"), 40000};
const proto::exporter_endpoint mediator_address{*proto::ip_address::parse("198.51.100.1"), 2055};

// src v4, dst v4, octets (4-byte reduced size), src port, dst port, protocol
const std::vector<field_spec> flow_fields = {
    {8, 4}, {12, 4}, {1, 4}, {7, 2}, {11, 2}, {4, 1},
};

std::vector<uint8_t> flow_record(uint32_t src, uint32_t dst, uint32_t octets) {
    std::vector<uint8_t> r(17);
    proto::store_be32(r.data(), src);
    proto::store_be32(r.data() + 4, dst);
    proto::store_be32(r.data() + 8, octets);
    proto::store_be16(r.data() + 12, 443);
    proto::store_be16(r.data() + 14, 51000);
    r[16] = 6;
    return r;
}

std::vector<uint8_t> ipfix_message(uint16_t tid, const std::vector<field_spec>& fields,
                                   const std::vector<std::vector<uint8_t>>& records, uint32_t seq,
                                   bool with_template = true, uint16_t scope = 0,
                                   uint32_t export_time = 1700000000) {
    std::vector<uint8_t> buf(65000);
    proto::message_writer w(buf, protocol_version::ipfix);
    w.begin(export_time, seq, 7);
    if (with_template) REQUIRE(w.add_template(tid, fields, scope));
    if (!records.empty()) REQUIRE(w.begin_data_set(tid));
    for (const auto& r : records) REQUIRE(w.add_record(r));
    auto out = w.finish();
    return {out.begin(), out.end()};
}

struct pipeline {
    proto::decoder in;
    proto::decoded_message msg;
    mediate::mediator med;
    collecting_sink sink;
    explicit pipeline(mediate::mediator_config c = {}) : med(c) {}

    void run(const std::vector<uint8_t>& bytes, uint64_t now_ms, const std::vector<mediate::record_values>& values,
             const mediate::added_fields& add) {
        REQUIRE(in.decode(exporter, bytes, now_ms, msg));
        med.mediate(msg, bytes, values, add, now_ms, sink);
    }
};

// Decodes every output datagram in order with a fresh decoder, as a collector would.
struct collector {
    proto::decoder dec;
    proto::decoded_message msg;
    std::vector<std::vector<uint8_t>> kept;  // record bytes outlive the decoder's message
    std::vector<proto::message_header> headers;
    std::vector<size_t> records_per_message;
    struct rec {
        uint16_t tid;
        std::vector<field_spec> fields;
        std::vector<std::vector<uint8_t>> values;
    };
    std::vector<rec> records;

    void take(const std::vector<std::vector<uint8_t>>& datagrams, uint64_t now_ms = 0) {
        for (const auto& d : datagrams) {
            REQUIRE(dec.decode(mediator_address, d, now_ms, msg));
            CHECK(msg.malformed == 0);
            headers.push_back(msg.header);
            records_per_message.push_back(msg.records.size());
            for (const auto& r : msg.records) {
                rec x{r.tmpl->id, r.tmpl->fields, {}};
                for (size_t i = 0; i < r.field_count(); ++i) x.values.emplace_back(r.value(i).begin(), r.value(i).end());
                records.push_back(std::move(x));
            }
        }
    }
};

uint64_t be(const std::vector<uint8_t>& v) { return proto::load_uint(v.data(), v.size()); }

// `bytes` decoded as sent from `address` port 1000 by `dec`, then mediated by `m` at `now_ms`,
// every record without added values.
void mediate_from(mediate::mediator& m, proto::decoder& dec, const char* address, const std::vector<uint8_t>& bytes,
                  collecting_sink& sink, uint64_t now_ms = 0) {
    proto::decoded_message msg;
    REQUIRE(dec.decode({*proto::ip_address::parse(address), 1000}, bytes, 0, msg));
    const std::vector<mediate::record_values> none(msg.records.size());
    m.mediate(msg, bytes, none, {}, now_ms, sink);
}

// The observation domain in an IPFIX message's header.
uint32_t domain_of(const std::vector<uint8_t>& datagram) { return proto::load_be32(datagram.data() + 12); }
uint32_t sequence_of(const std::vector<uint8_t>& datagram) { return proto::load_be32(datagram.data() + 8); }

}  // namespace

TEST_CASE("addedAsFieldsFollowEveryOriginalField", "[mediate]") {
    pipeline p;
    mediate::added_fields add;
    add.source_as = add.destination_as = true;
    std::vector<mediate::record_values> values(2);
    values[0].source_as = 64500;
    values[0].destination_as = 4200000001u;
    values[1].source_as = 15169;
    p.run(ipfix_message(300, flow_fields, {flow_record(0x0A000001, 0x08080808, 1500), flow_record(0x0A000002, 0x01010101, 40)}, 0),
          1000, values, add);
    REQUIRE(p.sink.datagrams.size() == 1);

    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.records.size() == 2);
    const auto& r0 = c.records[0];
    REQUIRE(r0.tid == 300);
    REQUIRE(r0.fields.size() == flow_fields.size() + 2);
    for (size_t i = 0; i < flow_fields.size(); ++i) CHECK(r0.fields[i] == flow_fields[i]);
    CHECK(r0.fields[6] == field_spec{16, 4});
    CHECK(r0.fields[7] == field_spec{17, 4});
    CHECK(be(r0.values[0]) == 0x0A000001);
    CHECK(be(r0.values[1]) == 0x08080808);
    CHECK(be(r0.values[2]) == 1500);
    CHECK(be(r0.values[5]) == 6);
    CHECK(be(r0.values[6]) == 64500);
    CHECK(be(r0.values[7]) == 4200000001u);
    CHECK(be(c.records[1].values[6]) == 15169);
    CHECK(be(c.records[1].values[7]) == 0);  // not found: an added field still carries a value
    CHECK(c.headers[0].domain == 7);
    CHECK(c.headers[0].export_time == 1700000000);
    CHECK(p.med.counters().templates_sent == 1);
    CHECK(p.med.counters().records_out == 2);
}

TEST_CASE("reducedSizeAsFieldGetsAsTransWhenTooLarge", "[mediate]") {
    // A 2-byte bgpSourceAsNumber and a 4-byte bgpDestinationAsNumber already in the template.
    std::vector<field_spec> fields = {{8, 4}, {16, 2}, {17, 4}};
    std::vector<uint8_t> rec(10, 0);
    proto::store_be32(rec.data(), 0x0A000001);
    pipeline p;
    mediate::added_fields add;
    add.source_as = add.destination_as = true;
    std::vector<mediate::record_values> values(3);
    for (auto& v : values) v.write_source_as = v.write_destination_as = true;
    values[0].source_as = 65000;
    values[0].destination_as = 70000;
    values[1].source_as = 70000;  // over 16 bits: AS_TRANS (RFC 6793)
    values[1].destination_as = 4200000000u;
    values[2].write_source_as = values[2].write_destination_as = false;  // policy says keep
    values[2].source_as = 1;
    std::vector<uint8_t> rec2 = rec;
    proto::store_be16(rec2.data() + 4, 123);
    proto::store_be32(rec2.data() + 6, 456);
    p.run(ipfix_message(256, fields, {rec, rec, rec2}, 0), 0, values, add);

    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.records.size() == 3);
    REQUIRE(c.records[0].fields.size() == 3);  // nothing added: both AS fields were present
    CHECK(be(c.records[0].values[1]) == 65000);
    CHECK(be(c.records[0].values[2]) == 70000);
    CHECK(be(c.records[1].values[1]) == mediate::as_trans);
    CHECK(be(c.records[1].values[2]) == 4200000000u);
    CHECK(be(c.records[2].values[1]) == 123);
    CHECK(be(c.records[2].values[2]) == 456);
}

namespace {

// Input message m of a stream: 3 records numbered from 3m, source AS 1000 + number.
void run_numbered(pipeline& p, uint32_t m, uint32_t export_time = 1700000000) {
    std::vector<std::vector<uint8_t>> recs;
    std::vector<mediate::record_values> values;
    for (uint32_t k = 0; k < 3; ++k) {
        recs.push_back(flow_record(0x0A000000 + 3 * m + k, 0x08080808, 3 * m + k));
        mediate::record_values v;
        v.source_as = 1000 + 3 * m + k;
        values.push_back(v);
    }
    mediate::added_fields add;
    add.source_as = true;
    p.run(ipfix_message(400, flow_fields, recs, 3 * m, m == 0, 0, export_time), 0, values, add);
}

// Every record 0..n-1 once, in order, with its AS; IPFIX sequence numbers without a gap.
void check_numbered(const collector& c, uint32_t n) {
    REQUIRE(c.records.size() == n);
    for (uint32_t i = 0; i < n; ++i) {
        CHECK(be(c.records[i].values[0]) == 0x0A000000 + i);
        CHECK(be(c.records[i].values[6]) == 1000 + i);
    }
    uint32_t expected_seq = 0;
    for (size_t m = 0; m < c.headers.size(); ++m) {
        CHECK(c.headers[m].sequence == expected_seq);
        expected_seq += static_cast<uint32_t>(c.records_per_message[m]);
    }
    CHECK(c.dec.counters().sequence_gaps == 0);
    CHECK(c.dec.counters().sequence_reordered == 0);
}

}  // namespace

TEST_CASE("outputSplitAtPayloadLimitKeepsOrderAndSequence", "[mediate]") {
    mediate::mediator_config cfg;
    cfg.max_payload = 200;
    pipeline p(cfg);
    mediate::added_fields add;
    add.source_as = true;
    std::vector<std::vector<uint8_t>> recs;
    std::vector<mediate::record_values> values;
    for (uint32_t i = 0; i < 50; ++i) {
        recs.push_back(flow_record(0x0A000000 + i, 0x08080808, i));
        mediate::record_values v;
        v.source_as = 1000 + i;
        values.push_back(v);
    }
    p.run(ipfix_message(400, flow_fields, recs, 0), 0, values, add);
    REQUIRE(p.sink.datagrams.size() > 1);
    for (const auto& d : p.sink.datagrams) CHECK(d.size() <= 200);

    collector c;
    c.take(p.sink.datagrams);
    check_numbered(c, 50);
}

TEST_CASE("packedOutputJoinsMessagesOfAStreamUntilFlush", "[mediate]") {
    mediate::mediator_config cfg;
    cfg.pack = true;
    pipeline p(cfg);
    for (uint32_t m = 0; m < 5; ++m) run_numbered(p, m);
    CHECK(p.sink.datagrams.empty());  // all of it still fits the open message
    p.med.flush(p.sink);
    REQUIRE(p.sink.datagrams.size() == 1);
    run_numbered(p, 5);
    p.med.flush(p.sink);
    p.med.flush(p.sink);  // nothing open: nothing sent
    REQUIRE(p.sink.datagrams.size() == 2);
    collector c;
    c.take(p.sink.datagrams);
    CHECK(c.records_per_message == std::vector<size_t>{15, 3});
    check_numbered(c, 18);
    CHECK(p.med.counters().messages_in == 6);
    CHECK(p.med.counters().messages_out == 2);
    CHECK(p.med.counters().records_out == 18);
}

TEST_CASE("packedOutputStartsAnewWhenTheHeaderTimesDiffer", "[mediate]") {
    // Records may carry times relative to the export time (delta times): they never share a
    // message whose header says another time.
    mediate::mediator_config cfg;
    cfg.pack = true;
    pipeline p(cfg);
    run_numbered(p, 0, 1700000000);
    run_numbered(p, 1, 1700000000);
    run_numbered(p, 2, 1700000001);
    CHECK(p.sink.datagrams.size() == 1);  // the first message left when the second second began
    p.med.flush(p.sink);
    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.headers.size() == 2);
    CHECK(c.headers[0].export_time == 1700000000);
    CHECK(c.headers[1].export_time == 1700000001);
    CHECK(c.records_per_message == std::vector<size_t>{6, 3});
    check_numbered(c, 9);
}

TEST_CASE("packedOutputSplitsAtThePayloadLimit", "[mediate]") {
    mediate::mediator_config cfg;
    cfg.pack = true;
    cfg.max_payload = 200;
    pipeline p(cfg);
    for (uint32_t m = 0; m < 40; ++m) run_numbered(p, m);
    p.med.flush(p.sink);
    collector c;
    c.take(p.sink.datagrams);
    for (const auto& d : p.sink.datagrams) CHECK(d.size() <= 200);
    // 16-byte header, the template set once (4 + 4 + 7 * 4), data set header 4, records 21
    // bytes: 6 records beside the template, 8 in each message after it, the 2 left in the last.
    std::vector<size_t> expected{6};
    expected.resize(15, 8);
    expected.push_back(2);
    CHECK(c.records_per_message == expected);
    check_numbered(c, 120);
}

TEST_CASE("payloadLimitChangedLiveSendsWhatIsOpenThenSplitsAtTheNewOne", "[mediate]") {
    // A collector's MTU changed on reload (mtu: auto): nothing open is lost or re-split, the
    // sequence runs on, and the template is not sent again.
    mediate::mediator_config cfg;
    cfg.pack = true;
    cfg.max_payload = 200;
    pipeline p(cfg);
    for (uint32_t m = 0; m < 4; ++m) run_numbered(p, m);
    REQUIRE(p.sink.datagrams.size() == 1);  // 6 records beside the template; 6 more open
    p.med.set_max_payload(300, p.sink);
    CHECK(p.med.max_payload() == 300);
    REQUIRE(p.sink.datagrams.size() == 2);
    for (uint32_t m = 4; m < 40; ++m) run_numbered(p, m);
    p.med.flush(p.sink);
    collector c;
    c.take(p.sink.datagrams);
    for (size_t i = 0; i < p.sink.datagrams.size(); ++i) CHECK(p.sink.datagrams[i].size() <= (i < 2 ? 200u : 300u));
    // After the change: 16 + 4 + 13 * 21 = 293 bytes, 13 records a message, 4 in the last.
    std::vector<size_t> expected{6, 6};
    expected.resize(10, 13);
    expected.push_back(4);
    CHECK(c.records_per_message == expected);
    check_numbered(c, 120);
    CHECK(p.med.counters().templates_sent == 1);
}

TEST_CASE("templateResentOnRefreshIntervalWithExplicitClock", "[mediate]") {
    mediate::mediator_config cfg;
    cfg.template_refresh_ms = 10'000;
    pipeline p(cfg);
    mediate::added_fields add;
    add.source_as = true;
    std::vector<mediate::record_values> one(1);
    p.run(ipfix_message(500, flow_fields, {flow_record(1, 2, 3)}, 0), 1'000, one, add);
    p.run(ipfix_message(500, flow_fields, {flow_record(1, 2, 3)}, 1, false), 5'000, one, add);
    p.run(ipfix_message(500, flow_fields, {flow_record(1, 2, 3)}, 2, false), 10'999, one, add);
    p.run(ipfix_message(500, flow_fields, {flow_record(1, 2, 3)}, 3, false), 11'000, one, add);
    REQUIRE(p.sink.datagrams.size() == 4);
    proto::decoder d;
    proto::decoded_message m;
    std::vector<size_t> templates;
    for (const auto& dg : p.sink.datagrams) {
        REQUIRE(d.decode(mediator_address, dg, 0, m));
        templates.push_back(m.template_events.size());
        CHECK(m.records.size() == 1);
    }
    CHECK(templates == std::vector<size_t>{1, 0, 0, 1});
    CHECK(p.med.counters().templates_sent == 2);
}

TEST_CASE("templateResentEveryNPackets", "[mediate]") {
    mediate::mediator_config cfg;
    cfg.template_refresh_ms = 0;
    cfg.template_refresh_packets = 3;
    pipeline p(cfg);
    std::vector<mediate::record_values> one(1);
    for (uint32_t i = 0; i < 7; ++i) {
        p.run(ipfix_message(500, flow_fields, {flow_record(1, 2, 3)}, i, i == 0), 1000, one, {});
    }
    proto::decoder d;
    proto::decoded_message m;
    std::vector<size_t> templates;
    for (const auto& dg : p.sink.datagrams) {
        REQUIRE(d.decode(mediator_address, dg, 0, m));
        templates.push_back(m.template_events.size());
    }
    CHECK(templates == std::vector<size_t>{1, 0, 0, 1, 0, 0, 1});
}

TEST_CASE("optionsRecordsPassThroughUnchanged", "[mediate]") {
    std::vector<field_spec> fields = {{144, 4, 0, true}, {34, 4}, {36, 2}};  // scope exportingProcessId
    std::vector<uint8_t> rec = {0, 0, 0, 9, 0, 0, 0, 100, 0, 60};
    pipeline p;
    mediate::added_fields add;
    add.source_as = add.destination_as = add.original_exporter = true;
    std::vector<mediate::record_values> values(1);
    p.run(ipfix_message(600, fields, {rec}, 0, true, 1), 0, values, add);
    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.records.size() == 1);
    CHECK(c.records[0].fields.size() == 3);
    CHECK(c.dec.counters().options_records == 1);
    std::vector<uint8_t> joined;
    for (const auto& v : c.records[0].values) joined.insert(joined.end(), v.begin(), v.end());
    CHECK(joined == rec);
}

TEST_CASE("originalExporterAddedPerRfc7119", "[mediate]") {
    pipeline p;
    mediate::added_fields add;
    add.original_exporter = true;
    std::vector<mediate::record_values> values(1);
    p.run(ipfix_message(300, flow_fields, {flow_record(1, 2, 3)}, 0), 0, values, add);
    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.records.size() == 1);
    const auto& r = c.records[0];
    REQUIRE(r.fields.size() == flow_fields.size() + 2);
    CHECK(r.fields[6] == field_spec{403, 4});
    CHECK(r.values[6] == std::vector<uint8_t>{192, 0, 2, 10});
    CHECK(r.fields[7] == field_spec{405, 4});
    CHECK(be(r.values[7]) == 7);
}

TEST_CASE("asNamesAndCountriesAsEnterpriseElements", "[mediate]") {
    pipeline p;
    mediate::added_fields add;
    add.source_as = true;
    add.names_pen = 32473;
    add.source_as_name_id = 1;
    add.source_country_id = 3;
    std::vector<mediate::record_values> values(2);
    values[0].source_as = 15169;
    values[0].source_as_name = "GOOGLE";
    values[0].source_country = {'U', 'S'};
    const std::string long_name(300, 'x');  // needs the 3-byte length prefix
    values[1].source_as_name = long_name;
    p.run(ipfix_message(300, flow_fields, {flow_record(1, 2, 3), flow_record(4, 5, 6)}, 0), 0, values, add);
    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.records.size() == 2);
    const auto& r = c.records[0];
    REQUIRE(r.fields.size() == flow_fields.size() + 3);
    CHECK(r.fields[7] == field_spec{1, proto::variable_length, 32473});
    CHECK(r.fields[8] == field_spec{3, 2, 32473});
    CHECK(std::string(r.values[7].begin(), r.values[7].end()) == "GOOGLE");
    CHECK(std::string(r.values[8].begin(), r.values[8].end()) == "US");
    CHECK(std::string(c.records[1].values[7].begin(), c.records[1].values[7].end()) == long_name);
    CHECK(be(c.records[1].values[0]) == 4);
}

TEST_CASE("unknownTemplateSetsForwardedOrDroppedAndCounted", "[mediate]") {
    const auto data_only = ipfix_message(777, flow_fields, {flow_record(1, 2, 3)}, 0, false);
    SECTION("forwarded unchanged") {
        pipeline p;
        p.run(data_only, 0, {}, {});
        REQUIRE(p.sink.datagrams.size() == 1);
        // Same set bytes after the header; only the header's sequence/domain are ours.
        CHECK(std::vector<uint8_t>(p.sink.datagrams[0].begin() + 16, p.sink.datagrams[0].end()) ==
              std::vector<uint8_t>(data_only.begin() + 16, data_only.end()));
        CHECK(p.med.counters().unknown_sets_forwarded == 1);
    }
    SECTION("dropped when configured") {
        mediate::mediator_config cfg;
        cfg.forward_unknown = false;
        pipeline p(cfg);
        p.run(data_only, 0, {}, {});
        CHECK(p.sink.datagrams.empty());
        CHECK(p.med.counters().unknown_sets_dropped == 1);
    }
}

TEST_CASE("withdrawalPropagatesToCollector", "[mediate]") {
    pipeline p;
    std::vector<mediate::record_values> one(1);
    p.run(ipfix_message(300, flow_fields, {flow_record(1, 2, 3)}, 0), 0, one, {});
    std::vector<uint8_t> buf(100);
    proto::message_writer w(buf, protocol_version::ipfix);
    w.begin(1700000000, 1, 7);
    REQUIRE(w.add_withdrawal(300, false));
    auto wd = w.finish();
    p.run({wd.begin(), wd.end()}, 0, {}, {});
    REQUIRE(p.sink.datagrams.size() == 2);
    collector c;
    c.take(p.sink.datagrams);
    CHECK(c.dec.counters().templates_withdrawn == 1);
    CHECK(p.med.counters().withdrawals_sent == 1);
}

TEST_CASE("netflowV9ConvertedToIpfixWithSystemInitTime", "[mediate]") {
    // v9: src addr, dst addr, first/last switched (sysUpTime ms), and a Cisco field type 40001.
    std::vector<field_spec> fields = {{8, 4}, {12, 4}, {22, 4}, {21, 4}, {40001, 2}};
    std::vector<uint8_t> buf(2000);
    proto::message_writer w(buf, protocol_version::netflow_v9);
    w.begin(1700000000, 42, 3, 3'600'000);  // exporter up for an hour
    REQUIRE(w.add_template(260, fields, 0));
    REQUIRE(w.begin_data_set(260));
    std::vector<uint8_t> rec(18, 0);
    proto::store_be32(rec.data(), 0x0A000001);
    proto::store_be32(rec.data() + 8, 3'500'000);
    proto::store_be32(rec.data() + 12, 3'599'000);
    proto::store_be16(rec.data() + 16, 7);
    REQUIRE(w.add_record(rec));
    auto in = w.finish();

    mediate::mediator_config cfg;
    cfg.output = mediate::output_version::ipfix;
    pipeline p(cfg);
    mediate::added_fields add;
    add.destination_as = true;
    std::vector<mediate::record_values> values(1);
    values[0].destination_as = 13335;
    p.run({in.begin(), in.end()}, 0, values, add);

    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.headers.size() == 1);
    CHECK(c.headers[0].version == protocol_version::ipfix);
    CHECK(c.headers[0].export_time == 1700000000);
    REQUIRE(c.records.size() == 1);
    const auto& r = c.records[0];
    REQUIRE(r.fields.size() == 7);
    CHECK(r.fields[4] == field_spec{40001 & 0x7FFF, 2, 9});
    CHECK(r.fields[5] == field_spec{17, 4});
    CHECK(r.fields[6] == field_spec{160, 8});
    CHECK(be(r.values[2]) == 3'500'000);
    CHECK(be(r.values[5]) == 13335);
    CHECK(be(r.values[6]) == 1'700'000'000'000ull - 3'600'000);
}

TEST_CASE("netflowV5AsFilledInPlace", "[mediate]") {
    std::vector<uint8_t> v5(24 + 2 * 48, 0);
    proto::store_be16(v5.data(), 5);
    proto::store_be16(v5.data() + 2, 2);
    proto::store_be32(v5.data() + 16, 1000);  // flow sequence
    for (int i = 0; i < 2; ++i) proto::store_be32(v5.data() + 24 + i * 48, 0x0A000001 + i);
    proto::store_be16(v5.data() + 24 + 48 + 42, 777);  // second record has a destination AS
    pipeline p;
    std::vector<mediate::record_values> values(2);
    values[0].write_source_as = true;
    values[0].source_as = 15169;
    values[0].write_destination_as = true;
    values[0].destination_as = 4200000000u;  // 16-bit field: AS_TRANS
    values[1].write_source_as = true;
    values[1].source_as = 64512;
    p.run(v5, 0, values, {});
    REQUIRE(p.sink.datagrams.size() == 1);
    const auto& out = p.sink.datagrams[0];
    REQUIRE(out.size() == v5.size());
    CHECK(proto::load_be16(out.data() + 24 + 40) == 15169);
    CHECK(proto::load_be16(out.data() + 24 + 42) == mediate::as_trans);
    CHECK(proto::load_be16(out.data() + 24 + 48 + 40) == 64512);
    CHECK(proto::load_be16(out.data() + 24 + 48 + 42) == 777);
    // Everything but the AS fields is byte-identical.
    std::vector<uint8_t> masked = out;
    for (int i = 0; i < 2; ++i) std::fill_n(masked.begin() + 24 + i * 48 + 40, 4, 0);
    std::vector<uint8_t> orig = v5;
    for (int i = 0; i < 2; ++i) std::fill_n(orig.begin() + 24 + i * 48 + 40, 4, 0);
    CHECK(masked == orig);
}

TEST_CASE("ipv6OnlyTemplate", "[mediate]") {
    std::vector<field_spec> fields = {{27, 16}, {28, 16}, {2, 8}};
    std::vector<uint8_t> rec(40, 0);
    rec[0] = 0x20;
    rec[1] = 0x01;
    rec[16] = 0x26;
    rec[17] = 0x06;
    rec[39] = 9;
    pipeline p;
    mediate::added_fields add;
    add.source_as = add.destination_as = true;
    std::vector<mediate::record_values> values(1);
    values[0].source_as = 6939;
    values[0].destination_as = 13335;
    p.run(ipfix_message(999, fields, {rec}, 0), 0, values, add);
    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.records.size() == 1);
    CHECK(c.records[0].values[0] == std::vector<uint8_t>(rec.begin(), rec.begin() + 16));
    CHECK(be(c.records[0].values[2]) == 9);
    CHECK(be(c.records[0].values[3]) == 6939);
    CHECK(be(c.records[0].values[4]) == 13335);
}

TEST_CASE("recordsWithoutAddressesPassThroughUnchanged", "[mediate]") {
    std::vector<field_spec> fields = {{1, 8}, {2, 8}, {10, 4}};
    std::vector<uint8_t> rec(20, 0x11);
    pipeline p;
    mediate::added_fields add;
    add.source_as = add.destination_as = add.original_exporter = true;
    std::vector<mediate::record_values> values(1);
    values[0].source_as = 99;
    p.run(ipfix_message(300, fields, {rec}, 0), 0, values, add);
    collector c;
    c.take(p.sink.datagrams);
    REQUIRE(c.records.size() == 1);
    CHECK(c.records[0].fields == fields);
}

TEST_CASE("eachExporterStreamGetsItsOwnOutputDomain", "[mediate]") {
    mediate::mediator m;
    collecting_sink sink;
    proto::decoder dec;
    const auto bytes = ipfix_message(300, flow_fields, {flow_record(1, 2, 3)}, 0);
    mediate_from(m, dec, "192.0.2.1", bytes, sink);
    mediate_from(m, dec, "2001:db8::1", bytes, sink);
    REQUIRE(sink.datagrams.size() == 2);
    CHECK(domain_of(sink.datagrams[0]) == 7);
    CHECK(domain_of(sink.datagrams[1]) == 8);
}

// Two workers' mediators for one collector share the registry: streams with the same input
// domain that reach different workers still get different domains at the collector.
TEST_CASE("sharedRegistryKeepsDomainsUniqueAcrossMediators", "[mediate]") {
    mediate::stream_registry registry(1, 16);
    mediate::mediator m1, m2;
    m1.share_state(&registry, 0);
    m2.share_state(&registry, 0);
    collecting_sink sink;
    proto::decoder d1, d2;
    const auto bytes = ipfix_message(300, flow_fields, {flow_record(1, 2, 3)}, 0);
    mediate_from(m1, d1, "192.0.2.1", bytes, sink);
    mediate_from(m2, d2, "192.0.2.2", bytes, sink);
    REQUIRE(sink.datagrams.size() == 2);
    CHECK(domain_of(sink.datagrams[0]) == 7);
    CHECK(domain_of(sink.datagrams[1]) == 8);
    REQUIRE(registry.size() == 2);
    CHECK(registry.at(0).domain == 7);
    CHECK(registry.at(1).domain == 8);
}

// What a restart does with the store: the registry of the next run is restored from what the
// last one published, and the new mediator's first message continues the sequence.
TEST_CASE("restoredRegistryContinuesSequenceAndDomain", "[mediate]") {
    const auto bytes = ipfix_message(300, flow_fields, {flow_record(1, 2, 3), flow_record(4, 5, 6), flow_record(7, 8, 9)}, 0);
    proto::stream_key stream_b;
    uint32_t domain_b = 0, sequence_b = 0;
    uint64_t last_b = 0;
    {
        mediate::stream_registry registry(2, 16);
        mediate::mediator ipfix_out;
        ipfix_out.share_state(&registry, 1);
        collecting_sink sink;
        proto::decoder dec;
        mediate_from(ipfix_out, dec, "192.0.2.1", bytes, sink, 1000);
        for (int i = 0; i < 4; ++i) mediate_from(ipfix_out, dec, "192.0.2.2", bytes, sink, 2000);
        REQUIRE(registry.size() == 2);
        const auto& e = registry.at(1);
        CHECK(e.domain == 8);
        CHECK(e.sequences[1].load() == 12);  // IPFIX counts data records: 4 messages of 3
        CHECK(e.sequences[0].load() == 0);   // collector 0 got nothing
        CHECK(e.last_ms.load() == 2000);
        stream_b = e.stream;
        domain_b = e.domain;
        sequence_b = e.sequences[1].load();
        last_b = e.last_ms.load();
    }
    mediate::stream_registry registry(2, 16);
    const std::array<uint32_t, 2> sequences{0, sequence_b};
    REQUIRE(registry.restore(stream_b, domain_b, sequences, last_b));
    CHECK_FALSE(registry.restore(stream_b, domain_b, sequences, last_b));  // once only
    mediate::mediator m;
    m.share_state(&registry, 1);
    collecting_sink sink;
    proto::decoder dec;
    // Stream b arrives first this time: without the registry it would take domain 7.
    mediate_from(m, dec, "192.0.2.2", bytes, sink, 3000);
    mediate_from(m, dec, "192.0.2.1", bytes, sink, 3000);
    REQUIRE(sink.datagrams.size() == 2);
    CHECK(sequence_of(sink.datagrams[0]) == 12);  // continues
    CHECK(domain_of(sink.datagrams[0]) == 8);
    CHECK(sequence_of(sink.datagrams[1]) == 0);   // a new stream starts at 0
    CHECK(domain_of(sink.datagrams[1]) == 7);
    CHECK(registry.at(0).sequences[1].load() == 15);
}

TEST_CASE("fullRegistryLeavesTheMediatorItsOwnStateCounted", "[mediate]") {
    mediate::stream_registry registry(1, 1);
    mediate::mediator m;
    m.share_state(&registry, 0);
    collecting_sink sink;
    proto::decoder dec;
    const auto bytes = ipfix_message(300, flow_fields, {flow_record(1, 2, 3)}, 0);
    mediate_from(m, dec, "192.0.2.1", bytes, sink);
    mediate_from(m, dec, "192.0.2.2", bytes, sink);
    CHECK(registry.size() == 1);
    CHECK(registry.full() == 1);
    CHECK(m.counters().unshared_streams == 1);
    REQUIRE(sink.datagrams.size() == 2);
    CHECK(sequence_of(sink.datagrams[1]) == 0);
}
