// Compiling MaxMind-format databases (.mmdb) into a prefix_table, off the data path.
//
// Each file contributes what its data records carry: an AS number (GeoLite2/GeoIP2-ASN
// `autonomous_system_number`, or IPinfo-style `asn`), an organisation (`autonomous_system_organization`
// or `as_name`) and a country (GeoLite2 `country.iso_code` or the flat `country_code`). An ASN
// file and a country file are merged into ONE table, so the data path does one lookup per
// address for all three; where several files carry the same field for an address, the later
// file wins. IPv4 and IPv6 databases are both read; an IPv6 database's IPv4 subtree (::/96) and
// its aliases (::ffff:0:0/96, 2002::/16, 2001::/32) serve IPv4 lookups. Where files disagree on
// an IPv6 region, a file's own data wins over another file's alias, and an alias fills a region
// no earlier file has data for (it then answers from the merged IPv4 table). No paths: a table
// where every lookup misses.
//
//   auto table = load_table({"/var/lib/ipfix-enricher/asn.mmdb",
//                            "/var/lib/ipfix-enricher/country.mmdb"});   // throws load_error
#pragma once

#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "ipfix/enrich/prefix_table.hpp"

namespace ipfix::enrich {

// A database that cannot be used: missing, unreadable, not an MMDB, corrupt, or without any AS or
// country field. what() names the file and the reason.
class load_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The material of a table (exposed for tools and tests); load_table() compiles it.
table_parts load_parts(std::span<const std::string> paths);

std::shared_ptr<const prefix_table> load_table(std::span<const std::string> paths);

inline std::shared_ptr<const prefix_table> load_table(std::initializer_list<std::string> paths) {
    return load_table(std::span<const std::string>(paths.begin(), paths.size()));
}

}  // namespace ipfix::enrich
