// The judge for the enrich tests: what libmaxminddb itself answers (MMDB_lookup_sockaddr and
// MMDB_get_value), and every network of a database's search tree, found by a walk written
// independently of src/enrich (it follows IPv4 aliases like any reader would).
#pragma once

#include <maxminddb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ipfix/proto/ip_address.hpp"

namespace enrich_test {

struct expected {
    uint32_t asn = 0;
    std::string org;
    std::string country;
    bool found() const { return asn != 0 || !org.empty() || !country.empty(); }
    friend bool operator==(const expected&, const expected&) = default;
};

// Field by field, later databases win where they carry the field: the merge rule of load_table.
expected overlay(const expected& base, const expected& top);

struct network {
    ipfix::proto::ip_address first;
    ipfix::proto::ip_address last;
    unsigned len;
};

class mmdb_oracle {
public:
    explicit mmdb_oracle(const std::string& path);
    ~mmdb_oracle();
    mmdb_oracle(const mmdb_oracle&) = delete;
    mmdb_oracle& operator=(const mmdb_oracle&) = delete;

    // ::ffff:a.b.c.d is asked as a.b.c.d (the table's documented rule).
    expected lookup(const ipfix::proto::ip_address& addr) const;
    std::vector<network> networks() const;
    unsigned ip_version() const { return db_.metadata.ip_version; }

private:
    MMDB_s db_{};
};

}  // namespace enrich_test
