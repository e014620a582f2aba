#include "ipfix/stats/text_table.hpp"

#include <catch2/catch.hpp>

using ipfix::stats::text_table;

TEST_CASE("textTableAlignsColumns", "[stats][table]") {
    text_table t({"name", "total", "per second"});
    t.add_row({"datagrams in", "12", "2.4"});
    t.add_row({"x", "123456789", "-"});
    t.add_row({"short row"});
    CHECK(t.render() ==
          "name              total  per second\n"
          "datagrams in         12         2.4\n"
          "x             123456789           -\n"
          "short row\n");
}

TEST_CASE("textTableHeaderOnly", "[stats][table]") {
    CHECK(text_table({"a", "b"}).render() == "a  b\n");
}
