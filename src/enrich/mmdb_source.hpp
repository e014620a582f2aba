// Reading one MMDB file into partitions of the IPv4 and IPv6 address spaces (internal to enrich).
// The search tree is walked once with MMDB_read_node; each distinct data record is decoded once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipfix/enrich/poptrie.hpp"
#include "ipfix/enrich/prefix_table.hpp"

namespace ipfix::enrich {

// The fields one database's data record carries.
struct partial_attributes {
    std::optional<uint32_t> asn;
    std::optional<std::string> org;
    std::optional<std::array<char, 2>> country;
};

struct source_partition {
    source_info info;
    std::vector<partial_attributes> records{partial_attributes{}};  // [0]: no data
    std::vector<segment<uint32_t>> v4;  // values index records
    std::vector<segment<u128>> v6;      // values index records, or v4_alias_base + bit offset
};

// Throws load_error.
source_partition read_mmdb(const std::string& path);

}  // namespace ipfix::enrich
