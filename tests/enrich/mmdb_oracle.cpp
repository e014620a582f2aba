#include "mmdb_oracle.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

namespace enrich_test {

expected overlay(const expected& base, const expected& top) {
    expected e = base;
    if (top.asn) e.asn = top.asn;
    if (!top.org.empty()) e.org = top.org;
    if (!top.country.empty()) e.country = top.country;
    return e;
}

mmdb_oracle::mmdb_oracle(const std::string& path) {
    const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_);
    if (status != MMDB_SUCCESS) throw std::runtime_error(path + ": " + MMDB_strerror(status));
}

mmdb_oracle::~mmdb_oracle() { MMDB_close(&db_); }

namespace {

bool value(MMDB_entry_s entry, MMDB_entry_data_s& d, const char* a, const char* b = nullptr) {
    const int status = b ? MMDB_get_value(&entry, &d, a, b, nullptr) : MMDB_get_value(&entry, &d, a, nullptr);
    return status == MMDB_SUCCESS && d.has_data;
}

}  // namespace

expected mmdb_oracle::lookup(const ipfix::proto::ip_address& addr) const {
    sockaddr_storage ss{};
    const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (addr.family == 4 || (addr.family == 6 && std::memcmp(addr.bytes.data(), mapped, 12) == 0)) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        std::memcpy(&sin->sin_addr, addr.bytes.data() + (addr.family == 4 ? 0 : 12), 4);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        std::memcpy(&sin6->sin6_addr, addr.bytes.data(), 16);
    }
    int status = 0;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db_, reinterpret_cast<const sockaddr*>(&ss), &status);
    expected e;
    if (status != MMDB_SUCCESS || !r.found_entry) return e;  // e.g. IPv6 in an IPv4 database
    MMDB_entry_data_s d;
    if (value(r.entry, d, "autonomous_system_number") && d.type == MMDB_DATA_TYPE_UINT32) e.asn = d.uint32;
    if (value(r.entry, d, "asn") && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
        std::string s(d.utf8_string, d.data_size);
        if (s.rfind("AS", 0) == 0) s.erase(0, 2);
        if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) e.asn = static_cast<uint32_t>(std::stoul(s));
    }
    if ((value(r.entry, d, "autonomous_system_organization") || value(r.entry, d, "as_name")) &&
        d.type == MMDB_DATA_TYPE_UTF8_STRING)
        e.org.assign(d.utf8_string, d.data_size);
    if ((value(r.entry, d, "country", "iso_code") || value(r.entry, d, "country_code")) &&
        d.type == MMDB_DATA_TYPE_UTF8_STRING)
        e.country.assign(d.utf8_string, d.data_size);
    return e;
}

namespace {

struct walk {
    const MMDB_s& db;
    unsigned bits;
    std::vector<network>& out;

    static void set_bit(uint8_t* p, unsigned bit) { p[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8)); }

    void leaf(const uint8_t* prefix, unsigned depth) {
        network n;
        n.len = depth;
        uint8_t last[16];
        std::memcpy(last, prefix, 16);
        for (unsigned b = depth; b < bits; ++b) set_bit(last, b);
        if (bits == 32) {
            n.first = ipfix::proto::ip_address::v4(prefix);
            n.last = ipfix::proto::ip_address::v4(last);
        } else {
            n.first = ipfix::proto::ip_address::v6(prefix);
            n.last = ipfix::proto::ip_address::v6(last);
        }
        out.push_back(n);
    }

    void node(uint32_t number, unsigned depth, const uint8_t* prefix) {
        if (depth >= bits) return;
        MMDB_search_node_s n;
        if (MMDB_read_node(&db, number, &n) != MMDB_SUCCESS) throw std::runtime_error("oracle: bad node");
        for (int side = 0; side < 2; ++side) {
            uint8_t p[16];
            std::memcpy(p, prefix, 16);
            if (side) set_bit(p, depth);
            const uint64_t rec = side ? n.right_record : n.left_record;
            const uint8_t type = side ? n.right_record_type : n.left_record_type;
            if (type == MMDB_RECORD_TYPE_SEARCH_NODE) node(static_cast<uint32_t>(rec), depth + 1, p);
            else if (type == MMDB_RECORD_TYPE_DATA || type == MMDB_RECORD_TYPE_EMPTY) leaf(p, depth + 1);
        }
    }
};

}  // namespace

std::vector<network> mmdb_oracle::networks() const {
    std::vector<network> out;
    const uint8_t zero[16] = {};
    walk{db_, db_.metadata.ip_version == 4 ? 32u : 128u, out}.node(0, 0, zero);
    return out;
}

}  // namespace enrich_test
