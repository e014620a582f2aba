// ipfix-asdb: builds AS databases (MMDB) from CSV ranges or prefix lists, and shows what the
// enricher's compiled table answers for an address.
//
//   ipfix-asdb build asn.mmdb asn-ipv4.csv asn-ipv6.csv
//   ipfix-asdb lookup --country country.mmdb --mmdb asn.mmdb 8.8.8.8 2001:4860::8888
//   ipfix-asdb info asn.mmdb country.mmdb
#include <maxminddb.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "ipfix/enrich/table_loader.hpp"
#include "ipfix/proto/ip_address.hpp"
#include "mmdb_writer.hpp"
#include "range_input.hpp"

namespace {

using namespace ipfix;

std::string describe(bool found, uint32_t asn, std::string_view org, std::string_view country) {
    if (!found) return "not found";
    return fmt::format("asn={} org={} country={}", asn ? std::to_string(asn) : "-",
                       org.empty() ? "-" : "\"" + std::string(org) + "\"", country.empty() ? "-" : std::string(country));
}

int run_build(const std::string& out, const std::vector<std::string>& inputs, const std::string& description) {
    std::vector<asdb::network> nets;
    asdb::input_stats stats;
    for (const auto& path : inputs) {
        std::ifstream in(path);
        if (!in) {
            fmt::print(stderr, "ipfix-asdb: cannot read {}\n", path);
            return 1;
        }
        asdb::read_networks(in, path, nets, stats);
    }
    if (nets.empty()) {
        fmt::print(stderr, "ipfix-asdb: no networks in the input\n");
        return 1;
    }
    asdb::order_for_insert(nets);
    fmt::print(stderr, "ipfix-asdb: {} lines ({} ranges, {} prefixes, {} without an AS skipped) -> {} networks\n",
               stats.lines, stats.ranges, stats.prefixes, stats.no_asn, nets.size());
    std::string desc = description;
    if (desc.empty()) {
        desc = "AS numbers built by ipfix-asdb from";
        for (const auto& p : inputs) desc += " " + p.substr(p.find_last_of('/') + 1);
    }
    asdb::write_mmdb(nets, out, desc);
    std::error_code ec;
    const auto size = std::filesystem::file_size(out, ec);
    fmt::print(stderr, "ipfix-asdb: wrote {} ({} bytes)\n", out, ec ? 0 : size);
    return 0;
}

// What libmaxminddb itself returns for the address, read with the same field names.
void print_mmdb(const std::string& path, const std::string& ip) {
    MMDB_s db;
    const int open_status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db);
    if (open_status != MMDB_SUCCESS) {
        fmt::print("  libmaxminddb {}: {}\n", path, MMDB_strerror(open_status));
        return;
    }
    int gai = 0, status = 0;
    MMDB_lookup_result_s r = MMDB_lookup_string(&db, ip.c_str(), &gai, &status);
    if (gai != 0 || status != MMDB_SUCCESS) {
        fmt::print("  libmaxminddb {}: {}\n", path, gai ? "bad address" : MMDB_strerror(status));
    } else if (!r.found_entry) {
        fmt::print("  libmaxminddb {}: not found\n", path);
    } else {
        MMDB_entry_data_s d;
        uint32_t asn = 0;
        std::string org, country;
        if ((MMDB_get_value(&r.entry, &d, "autonomous_system_number", nullptr) == MMDB_SUCCESS && d.has_data) ||
            (MMDB_get_value(&r.entry, &d, "asn", nullptr) == MMDB_SUCCESS && d.has_data)) {
            if (d.type == MMDB_DATA_TYPE_UINT32) asn = d.uint32;
            else if (d.type == MMDB_DATA_TYPE_UINT16) asn = d.uint16;
            else if (d.type == MMDB_DATA_TYPE_UTF8_STRING) org = "(asn " + std::string(d.utf8_string, d.data_size) + ") ";
        }
        if ((MMDB_get_value(&r.entry, &d, "autonomous_system_organization", nullptr) == MMDB_SUCCESS && d.has_data) ||
            (MMDB_get_value(&r.entry, &d, "as_name", nullptr) == MMDB_SUCCESS && d.has_data))
            if (d.type == MMDB_DATA_TYPE_UTF8_STRING) org += std::string(d.utf8_string, d.data_size);
        if ((MMDB_get_value(&r.entry, &d, "country", "iso_code", nullptr) == MMDB_SUCCESS && d.has_data) ||
            (MMDB_get_value(&r.entry, &d, "country_code", nullptr) == MMDB_SUCCESS && d.has_data))
            if (d.type == MMDB_DATA_TYPE_UTF8_STRING) country.assign(d.utf8_string, d.data_size);
        fmt::print("  libmaxminddb {}: {} (tree prefix length {})\n", path, describe(true, asn, org, country),
                   r.netmask);
    }
    MMDB_close(&db);
}

int run_lookup(const std::vector<std::string>& dbs, const std::vector<std::string>& ips, bool mmdb) {
    const auto table = enrich::load_table(dbs);
    int rc = 0;
    for (const auto& ip : ips) {
        const auto addr = proto::ip_address::parse(ip);
        if (!addr) {
            fmt::print(stderr, "ipfix-asdb: not an address: {}\n", ip);
            rc = 1;
            continue;
        }
        const auto i = table->lookup(*addr);
        fmt::print("{} {}\n", ip, describe(i.found, i.asn, i.org, i.country));
        if (mmdb)
            for (const auto& db : dbs) print_mmdb(db, ip);
    }
    return rc;
}

int run_info(const std::vector<std::string>& dbs) {
    const auto start = std::chrono::steady_clock::now();
    const auto table = enrich::load_table(dbs);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    for (const auto& s : table->sources()) {
        std::string fields;
        if (s.has_asn) fields += " asn";
        if (s.has_org) fields += " org";
        if (s.has_country) fields += " country";
        fmt::print("{}: type '{}', IPv{} tree, {} nodes, {}-bit records, built at epoch {}, {} data records with:{}\n",
                   s.path, s.database_type, s.ip_version, s.node_count, s.record_size, s.build_epoch, s.data_records,
                   fields);
    }
    const auto& st = table->stats();
    fmt::print("table: IPv4 {} segments / {} groups, IPv6 {} segments / {} nodes, {} attribute rows, {} names, "
               "{:.1f} MiB; compiled in {:.0f} ms\n",
               st.v4_segments, st.v4_groups, st.v6_segments, st.v6_nodes, st.attributes, st.orgs,
               static_cast<double>(st.memory_bytes) / (1 << 20), ms);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Builds AS databases (MMDB) and shows what the enricher looks up"};
    app.require_subcommand(1);

    std::string out, description;
    std::vector<std::string> inputs;
    auto* build = app.add_subcommand("build", "Build an ASN MMDB (GeoLite2-ASN schema) from text inputs");
    build->add_option("out", out, "MMDB file to write (replaced atomically)")->required();
    build->add_option("inputs", inputs, "CSV ranges first_ip,last_ip,asn[,org], or prefix/len,asn[,org] lines, "
                                        "or pmacct networks_file lines; '#' and '!' start comments")
        ->required();
    build->add_option("--description", description, "Description stored in the database metadata");

    std::string db;
    std::vector<std::string> extra, ips;
    bool mmdb = false;
    auto* lookup = app.add_subcommand("lookup", "Print ASN, organisation and country for addresses, "
                                                "as the compiled table answers");
    lookup->add_option("db", db, "MMDB file (ASN and/or country)")->required();
    lookup->add_option("ips", ips, "Addresses")->required();
    lookup->add_option("--country", extra, "Further MMDB file merged after DB (e.g. a country database); repeatable")
        ->allow_extra_args(false);
    lookup->add_flag("--mmdb", mmdb, "Also print what libmaxminddb returns from each file");

    std::vector<std::string> info_dbs;
    auto* info = app.add_subcommand("info", "Compile databases into a table and print its figures");
    info->add_option("dbs", info_dbs, "MMDB files, merged in order")->required();

    CLI11_PARSE(app, argc, argv);
    try {
        if (*build) return run_build(out, inputs, description);
        if (*lookup) {
            std::vector<std::string> dbs{db};
            dbs.insert(dbs.end(), extra.begin(), extra.end());
            return run_lookup(dbs, ips, mmdb);
        }
        if (*info) return run_info(info_dbs);
    } catch (const std::exception& e) {
        fmt::print(stderr, "ipfix-asdb: {}\n", e.what());
        return 1;
    }
    return 0;
}
