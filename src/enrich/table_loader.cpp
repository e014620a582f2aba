#include "ipfix/enrich/table_loader.hpp"

#include <malloc.h>

#include <unordered_map>

#include "mmdb_source.hpp"
#include "partition_merge.hpp"

namespace ipfix::enrich {

namespace {

struct attributes_hash {
    size_t operator()(const as_attributes& a) const noexcept {
        uint64_t h = (uint64_t{a.asn} << 32) ^ a.org;
        h ^= (uint64_t{static_cast<uint8_t>(a.country[0])} << 8 | static_cast<uint8_t>(a.country[1])) * 0x9e3779b97f4a7c15ull;
        return static_cast<size_t>(h * 0xff51afd7ed558ccdull ^ (h >> 29));
    }
};

// Folds the sources one after another into partitions over interned attribute rows.
class table_builder {
public:
    table_builder() {
        parts_.v4 = {{0, 0}};
        parts_.v6 = {{0, 0}};
        attr_ids_.emplace(as_attributes{}, 0);
        org_ids_.emplace(std::string{}, 0);
    }

    void add(source_partition src) {
        std::unordered_map<uint64_t, uint32_t> done;  // (row so far, source record) -> row
        auto combine = [&](uint32_t x, uint32_t y) -> uint32_t {
            // IPv6 regions that alias the IPv4 table: an alias only fills where no earlier database
            // knows anything, and a database's own data wins over an earlier alias.
            if (y >= v4_alias_base) return x == 0 ? y : x;
            if (x >= v4_alias_base) {
                if (y == 0) return x;
                x = 0;
            }
            if (y == 0) return x;
            auto [it, inserted] = done.try_emplace((uint64_t{x} << 32) | y, 0);
            if (inserted) {
                as_attributes a = parts_.attributes[x];
                const partial_attributes& r = src.records[y];
                if (r.asn) a.asn = *r.asn;
                if (r.org) a.org = intern_org(*r.org);
                if (r.country) a.country = *r.country;
                it->second = intern(a);
            }
            return it->second;
        };
        parts_.v4 = merge_partitions(parts_.v4, src.v4, combine);
        parts_.v6 = merge_partitions(parts_.v6, src.v6, combine);
        parts_.sources.push_back(std::move(src.info));
    }

    // Drops the rows and names that only intermediate folds used.
    table_parts finish() {
        std::vector<uint32_t> row_map(parts_.attributes.size(), UINT32_MAX);
        std::vector<uint32_t> org_map(parts_.orgs.size(), UINT32_MAX);
        table_parts out;
        out.sources = std::move(parts_.sources);
        row_map[0] = 0;
        org_map[0] = 0;
        auto keep = [&](uint32_t& v) {
            if (v >= v4_alias_base) return;
            if (row_map[v] == UINT32_MAX) {
                as_attributes a = parts_.attributes[v];
                if (org_map[a.org] == UINT32_MAX) {
                    org_map[a.org] = static_cast<uint32_t>(out.orgs.size());
                    out.orgs.push_back(std::move(parts_.orgs[a.org]));
                }
                a.org = org_map[a.org];
                row_map[v] = static_cast<uint32_t>(out.attributes.size());
                out.attributes.push_back(a);
            }
            v = row_map[v];
        };
        for (auto& s : parts_.v4) keep(s.value);
        for (auto& s : parts_.v6) keep(s.value);
        out.v4 = std::move(parts_.v4);
        out.v6 = std::move(parts_.v6);
        return out;
    }

private:
    uint32_t intern_org(const std::string& name) {
        auto [it, inserted] = org_ids_.try_emplace(name, static_cast<uint32_t>(parts_.orgs.size()));
        if (inserted) parts_.orgs.push_back(name);
        return it->second;
    }

    uint32_t intern(const as_attributes& a) {
        auto [it, inserted] = attr_ids_.try_emplace(a, static_cast<uint32_t>(parts_.attributes.size()));
        if (inserted) {
            if (parts_.attributes.size() >= v4_alias_base) throw load_error("too many distinct attribute rows");
            parts_.attributes.push_back(a);
        }
        return it->second;
    }

    table_parts parts_;
    std::unordered_map<as_attributes, uint32_t, attributes_hash> attr_ids_;
    std::unordered_map<std::string, uint32_t> org_ids_;
};

}  // namespace

table_parts load_parts(std::span<const std::string> paths) {
    table_builder b;
    for (const auto& p : paths) b.add(read_mmdb(p));
    return b.finish();
}

std::shared_ptr<const prefix_table> load_table(std::span<const std::string> paths) {
    auto table = std::make_shared<const prefix_table>(load_parts(paths));
    // The partitions and maps freed above are tens of MiB; give them back to the system rather
    // than keep them in malloc's free lists until the next reload.
    ::malloc_trim(0);
    return table;
}

}  // namespace ipfix::enrich
