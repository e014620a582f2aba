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
