// Reading the text inputs of `ipfix-asdb build` into networks (CIDR prefixes) with an AS number.
//
// One entry per line; blank lines and lines starting with '#' or '!' are skipped. Fields are
// comma-separated (CSV quoting with "..." and "" allowed) or, on lines without a comma,
// whitespace-separated. Three shapes, told apart by where the '/' is:
//   first_ip,last_ip,asn[,org]     @ip-location-db/asn CSV ranges; split into CIDR prefixes
//   prefix/len,asn[,org]           prefix first
//   [label,][next_hop,][[peer_as_]origin_as,]prefix/len
//                                  pmacct networks_file; lines without an AS are skipped
// ASNs may be written AS15169. IPv4 and IPv6 mix freely.
#pragma once

#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipfix/enrich/ip_key.hpp"

namespace ipfix::asdb {

struct network {
    bool v6 = false;
    enrich::u128 addr = 0;  // IPv4 in the low 32 bits; host bits cleared
    unsigned len = 0;       // prefix length within its family
    uint32_t asn = 0;
    std::string org;        // valid UTF-8, no tabs or newlines

    // Length of the prefix in an IPv6 tree, where IPv4 lives at ::/96.
    unsigned tree_len() const { return v6 ? len : len + 96; }
    // "1.2.3.0/24", "2001:db8::/32"
    std::string cidr() const;
};

struct input_stats {
    size_t lines = 0;     // data lines read (not comments or blanks)
    size_t ranges = 0;    // first,last lines
    size_t prefixes = 0;  // prefix lines
    size_t no_asn = 0;    // networks_file lines without an AS, skipped
};

// "FILE:LINE: what is wrong"
class input_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Appends the networks of one input. Throws input_error on the first malformed line.
void read_networks(std::istream& in, const std::string& name, std::vector<network>& out, input_stats& stats);

// The fewest CIDR prefixes covering [first, last] exactly, in address order (first <= last).
template <class Key, class Emit>
void split_range(Key first, Key last, Emit&& emit) {
    constexpr unsigned bits = enrich::key_bits<Key>;
    for (;;) {
        unsigned k = bits;  // block of 2^k addresses, aligned at first
        if (first != 0) {
            k = 0;
            while (!((first >> k) & 1)) ++k;
        }
        auto span_minus_1 = [](unsigned n) { return n >= bits ? static_cast<Key>(~Key{0}) : static_cast<Key>((Key{1} << n) - 1); };
        while (k > 0 && span_minus_1(k) > static_cast<Key>(last - first)) --k;
        emit(first, bits - k);
        if (static_cast<Key>(last - first) == span_minus_1(k)) return;
        first = static_cast<Key>(first + span_minus_1(k) + 1);
    }
}

// Puts networks in the order the MMDB writer must see them: shorter prefixes first, so that a
// more specific prefix overwrites the part of a covering one (longest prefix match); for the same
// prefix the later input line wins.
void order_for_insert(std::vector<network>& nets);

// Replaces invalid UTF-8 with '?' and tabs and line breaks with spaces.
std::string clean_text(std::string_view s);

}  // namespace ipfix::asdb
