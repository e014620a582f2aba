// The stats port's parsers under arbitrary bytes: the line scanner and command parser, the HTTP
// request parser (default and tiny limits), a whole session fed in pieces and the tail query
// parser (GET /api/v1/tail's filters) with its value parsers. Every result is
// checked against the contracts of the headers; a broken one aborts (libFuzzer reports it).
#pragma once

#include <cstdint>
#include <span>

namespace ipfix::fuzz {

void run_stats_harness(std::span<const uint8_t> input);

}  // namespace ipfix::fuzz
