// finalize_template: field locations, record lengths, and which field fills each known field.
#include <catch2/catch.hpp>

#include "ipfix/proto/template_def.hpp"

using namespace ipfix::proto;

TEST_CASE("template_def: fixed layout", "[template_def]") {
    template_def t;
    t.fields = {{8, 4}, {12, 4}, {4, 1}, {1, 8}};
    REQUIRE(finalize_template(t));
    CHECK_FALSE(t.variable);
    CHECK(t.min_record_length == 17u);
    REQUIRE(t.fixed_locs.size() == 4);
    CHECK(t.fixed_locs[2].offset == 8);
    CHECK(t.fixed_locs[2].length == 1);
    CHECK(t.fixed_locs[3].offset == 9);
    CHECK(t.index_of(known_field::source_ipv4) == 0);
    CHECK(t.index_of(known_field::destination_ipv4) == 1);
    CHECK(t.index_of(known_field::protocol) == 2);
    CHECK(t.index_of(known_field::octets) == 3);
    CHECK(t.index_of(known_field::source_as) == -1);
}

TEST_CASE("template_def: variable-length fields", "[template_def]") {
    template_def t;
    t.fields = {{82, variable_length}, {8, 4}, {96, variable_length}};
    REQUIRE(finalize_template(t));
    CHECK(t.variable);
    CHECK(t.fixed_locs.empty());
    CHECK(t.min_record_length == 6u);
    CHECK(t.index_of(known_field::source_ipv4) == 1);
}

TEST_CASE("template_def: variable-length templates as runs of fixed fields, each closed by a variable one", "[template_def]") {
    template_def t;
    t.fields = {{8, 4}, {82, variable_length}, {7, 2}, {11, 2}, {96, variable_length}};
    REQUIRE(finalize_template(t));
    CHECK(t.min_record_length == 10u);
    REQUIRE(t.runs.size() == 3);
    // The source address, then the first variable field: 2 + 2 + 1 bytes at least after it.
    CHECK(t.runs[0].first == 0);
    CHECK(t.runs[0].fixed == 1);
    CHECK(t.runs[0].fixed_bytes == 4);
    CHECK(t.runs[0].need_after == 5);
    // The two ports, then the last variable field, after which nothing is needed.
    CHECK(t.runs[1].first == 2);
    CHECK(t.runs[1].fixed == 2);
    CHECK(t.runs[1].fixed_bytes == 4);
    CHECK(t.runs[1].need_after == 0);
    // The record ends with the variable field: an empty last run.
    CHECK(t.runs[2].first == 5);
    CHECK(t.runs[2].fixed == 0);
    CHECK(t.runs[2].fixed_bytes == 0);
    REQUIRE(t.run_locs.size() == 5);
    CHECK(t.run_locs[0].offset == 0);
    CHECK(t.run_locs[0].length == 4);
    CHECK(t.run_locs[2].offset == 0);
    CHECK(t.run_locs[3].offset == 2);
    CHECK(t.run_locs[3].length == 2);
}

TEST_CASE("template_def: where enrichment's four values lie in every record, when they do", "[template_def]") {
    SECTION("a fixed-length template: always; an address of an odd size or an AS over 8 bytes is absent") {
        template_def t;
        t.fields = {{1, 8}, {27, 16}, {8, 4}, {12, 6}, {28, 16}, {16, 2}, {17, 9}};
        REQUIRE(finalize_template(t));
        CHECK(t.fixed_enrichment);
        CHECK(t.fixed.source_address.offset == 24);  // IPv4 at 4 bytes wins over IPv6
        CHECK(t.fixed.source_address.length == 4);
        CHECK(t.fixed.destination_address.offset == 34);  // IPv4 at 6 bytes: IPv6 instead
        CHECK(t.fixed.destination_address.length == 16);
        CHECK(t.fixed.source_as.offset == 50);
        CHECK(t.fixed.source_as.length == 2);
        CHECK(t.fixed.destination_as.length == 0);
    }
    SECTION("a variable-length template with all four before its first variable-length field") {
        template_def t;
        t.fields = {{8, 4}, {12, 4}, {16, 4}, {82, variable_length}, {17, 4}};
        // Not yet: the destination AS comes after the variable field.
        REQUIRE(finalize_template(t));
        CHECK_FALSE(t.fixed_enrichment);
        CHECK(t.fixed.source_address.length == 0);
        t.fields = {{8, 4}, {12, 4}, {16, 4}, {17, 2}, {82, variable_length}, {96, variable_length}};
        REQUIRE(finalize_template(t));
        CHECK(t.fixed_enrichment);
        CHECK(t.fixed.destination_address.offset == 4);
        CHECK(t.fixed.source_as.offset == 8);
        CHECK(t.fixed.destination_as.offset == 12);
        CHECK(t.fixed.destination_as.length == 2);
    }
    SECTION("a field the accessors never read may sit anywhere; one they might read may not") {
        template_def t;
        // IPv6 after the variable field, but IPv4 at 4 bytes before it is what is read.
        t.fields = {{8, 4}, {12, 4}, {82, variable_length}, {27, 16}};
        REQUIRE(finalize_template(t));
        CHECK(t.fixed_enrichment);
        CHECK(t.fixed.source_address.length == 4);
        // IPv4 at an odd size, so IPv6 would be read, and it lies after the variable field.
        t.fields = {{8, 2}, {12, 4}, {82, variable_length}, {27, 16}};
        REQUIRE(finalize_template(t));
        CHECK_FALSE(t.fixed_enrichment);
        // An address itself of variable length.
        t.fields = {{8, variable_length}, {12, 4}};
        REQUIRE(finalize_template(t));
        CHECK_FALSE(t.fixed_enrichment);
    }
}

TEST_CASE("template_def: the record count by reciprocal equals the division for every length", "[template_def]") {
    // Set sizes are under 2^16: the largest multiples of each length, their neighbours and the
    // ends of the range, against integer division.
    template_def t;
    t.fields = {{1, 1}};
    for (uint32_t len = 1; len < 0xFFFF; ++len) {
        t.fields[0].length = static_cast<uint16_t>(len);
        REQUIRE(finalize_template(t));
        const uint32_t top = 0xFFFF - 0xFFFF % len;
        for (const uint32_t n : {0u, len - 1, len, len + 1, 2 * len - 1, top - 1, top, 0xFFFFu}) {
            if (n > 0xFFFF) continue;
            const auto count = static_cast<uint32_t>((uint64_t{n} * t.record_length_reciprocal) >> 32);
            if (count != n / len) FAIL("length " << len << ", set of " << n << " bytes: " << count);
        }
    }
}

TEST_CASE("template_def: the first of duplicate fields wins; scope and enterprise fields never count", "[template_def]") {
    template_def t;
    t.fields = {{8, 4, 0, true}, {16, 4, 9}, {8, 4}, {16, 2}, {8, 4}};
    REQUIRE(finalize_template(t));
    CHECK(t.index_of(known_field::source_ipv4) == 2);
    CHECK(t.index_of(known_field::source_as) == 3);
}

TEST_CASE("template_def: deltas win over totals whatever the order", "[template_def]") {
    template_def t;
    t.fields = {{86, 8}, {85, 8}, {2, 4}, {1, 4}};
    REQUIRE(finalize_template(t));
    CHECK(t.index_of(known_field::octets) == 3);
    CHECK(t.index_of(known_field::packets) == 2);
    template_def totals;
    totals.fields = {{86, 8}, {85, 8}};
    REQUIRE(finalize_template(totals));
    CHECK(totals.index_of(known_field::octets) == 1);
    CHECK(totals.index_of(known_field::packets) == 0);
}

TEST_CASE("template_def: a fixed record over 65535 bytes is refused", "[template_def]") {
    template_def t;
    t.fields = {{1, 65534}, {2, 2}};  // (65535 would be variable_length)
    CHECK_FALSE(finalize_template(t));
    template_def ok;
    ok.fields = {{1, 65534}, {2, 1}};
    CHECK(finalize_template(ok));
    CHECK(ok.min_record_length == 65535u);
}
