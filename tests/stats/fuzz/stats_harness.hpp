// The stats port's parsers under arbitrary bytes: the line scanner and command parser, the HTTP
// request parser (default and tiny limits) and a whole session fed in pieces. Every result is
// checked against the contracts of the headers; a broken one aborts (libFuzzer reports it).
#pragma once

#include <cstdint>
#include <span>

namespace ipfix::fuzz {

void run_stats_harness(std::span<const uint8_t> input);

}  // namespace ipfix::fuzz
