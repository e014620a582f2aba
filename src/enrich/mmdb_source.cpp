#include "mmdb_source.hpp"

#include <maxminddb.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "ipfix/enrich/table_loader.hpp"

namespace ipfix::enrich {

namespace {

// Closes the database however the walk ends.
class open_mmdb {
public:
    explicit open_mmdb(const std::string& path) {
        errno = 0;
        const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_);
        if (status != MMDB_SUCCESS) {
            std::string why = MMDB_strerror(status);
            if ((status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) && errno != 0)
                why += std::string(" (") + std::strerror(errno) + ")";
            throw load_error(path + ": " + why);
        }
    }
    ~open_mmdb() { MMDB_close(&db_); }
    open_mmdb(const open_mmdb&) = delete;
    open_mmdb& operator=(const open_mmdb&) = delete;

    const MMDB_s& get() const { return db_; }

private:
    MMDB_s db_{};
};

// One record of the search tree: where a path ends (data, empty) or continues (node).
struct tree_record {
    uint64_t value;
    uint8_t type;
    MMDB_entry_s entry;
};

class tree_walker {
public:
    tree_walker(const MMDB_s& db, source_partition& out) : db_(db), out_(out) {}

    void run() {
        const unsigned ip_version = db_.metadata.ip_version;
        if (ip_version != 4 && ip_version != 6) fail("unsupported ip_version " + std::to_string(ip_version));
        if (db_.metadata.node_count == 0) fail("empty search tree");
        const tree_record root{0, MMDB_RECORD_TYPE_SEARCH_NODE, {}};
        if (ip_version == 4) {
            walk_partition(root, out_.v4, false);
            out_.v6.push_back({0, 0});
            return;
        }
        // IPv4 lives at ::/96; like libmaxminddb, an IPv4 lookup follows 96 zero bits first and
        // stops early where the tree has a leaf above that depth.
        tree_record v4_root = root;
        for (unsigned depth = 0; depth < 96 && v4_root.type == MMDB_RECORD_TYPE_SEARCH_NODE; ++depth)
            v4_root = read_node(static_cast<uint32_t>(v4_root.value))[0];
        if (v4_root.type == MMDB_RECORD_TYPE_SEARCH_NODE) v4_node_ = v4_root.value;
        walk_partition(v4_root, out_.v4, false);
        walk_partition(root, out_.v6, true);
    }

private:
    [[noreturn]] void fail(const std::string& why) const { throw load_error(std::string(db_.filename) + ": " + why); }

    std::array<tree_record, 2> read_node(uint32_t node) const {
        MMDB_search_node_s n;
        const int status = MMDB_read_node(&db_, node, &n);
        if (status != MMDB_SUCCESS) fail(std::string("search tree: ") + MMDB_strerror(status));
        return {tree_record{n.left_record, n.left_record_type, n.left_record_entry},
                tree_record{n.right_record, n.right_record_type, n.right_record_entry}};
    }

    template <class Key>
    void walk_partition(const tree_record& start, std::vector<segment<Key>>& out, bool v6_aliases) {
        visited_.assign(db_.metadata.node_count, false);
        v6_aliases_ = v6_aliases;
        on_record(start, 0, Key{0}, out);
    }

    // A record covering prefix/depth.
    template <class Key>
    void on_record(const tree_record& r, unsigned depth, Key prefix, std::vector<segment<Key>>& out) {
        switch (r.type) {
        case MMDB_RECORD_TYPE_EMPTY:
            emit(out, prefix, 0);
            return;
        case MMDB_RECORD_TYPE_DATA:
            emit(out, prefix, data_id(r));
            return;
        case MMDB_RECORD_TYPE_SEARCH_NODE:
            break;
        default:
            fail("search tree: record points outside the file");
        }
        if constexpr (sizeof(Key) == 16) {
            if (v6_aliases_ && v4_node_ && r.value == *v4_node_) {
                // ::/96 itself or an alias of it: served by the IPv4 table.
                if (depth > 96) fail("search tree: IPv4 subtree below /96");
                emit(out, prefix, v4_alias_base + depth);
                return;
            }
        }
        if (depth >= key_bits<Key>) fail("search tree deeper than the address");
        const auto node = static_cast<uint32_t>(r.value);
        if (visited_[node]) fail("search tree: node " + std::to_string(node) + " reached twice");
        visited_[node] = true;
        const auto children = read_node(node);
        on_record(children[0], depth + 1, prefix, out);
        on_record(children[1], depth + 1, static_cast<Key>(prefix | (Key{1} << (key_bits<Key> - depth - 1))), out);
    }

    template <class Key>
    static void emit(std::vector<segment<Key>>& out, Key start, uint32_t value) {
        if (!out.empty() && out.back().value == value) return;
        out.push_back({start, value});
    }

    uint32_t data_id(const tree_record& r) {
        auto [it, inserted] = ids_.try_emplace(r.value, 0);
        if (inserted) {
            it->second = static_cast<uint32_t>(out_.records.size());
            out_.records.push_back(decode(r.entry));
            const auto& a = out_.records.back();
            out_.info.has_asn |= a.asn.has_value();
            out_.info.has_org |= a.org.has_value();
            out_.info.has_country |= a.country.has_value();
        }
        return it->second;
    }

    // The value at a path, when present; absent when the path does not fit the record's shape.
    template <class... Keys>
    bool get(MMDB_entry_s entry, MMDB_entry_data_s& data, Keys... keys) const {
        const int status = MMDB_get_value(&entry, &data, keys..., static_cast<const char*>(nullptr));
        if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) return false;
        if (status != MMDB_SUCCESS) fail(std::string("data section: ") + MMDB_strerror(status));
        return data.has_data;
    }

    static std::optional<uint64_t> as_unsigned(const MMDB_entry_data_s& d) {
        switch (d.type) {
        case MMDB_DATA_TYPE_UINT16: return d.uint16;
        case MMDB_DATA_TYPE_UINT32: return d.uint32;
        case MMDB_DATA_TYPE_UINT64: return d.uint64;
        case MMDB_DATA_TYPE_INT32:
            if (d.int32 >= 0) return static_cast<uint64_t>(d.int32);
            return std::nullopt;
        case MMDB_DATA_TYPE_UTF8_STRING: {
            // IPinfo writes "AS15169".
            std::string_view s(d.utf8_string, d.data_size);
            if (s.size() > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) s.remove_prefix(2);
            if (s.empty() || s.size() > 10) return std::nullopt;
            uint64_t v = 0;
            for (char c : s) {
                if (c < '0' || c > '9') return std::nullopt;
                v = v * 10 + static_cast<uint64_t>(c - '0');
            }
            return v;
        }
        default: return std::nullopt;
        }
    }

    static std::optional<std::string_view> as_string(const MMDB_entry_data_s& d) {
        if (d.type != MMDB_DATA_TYPE_UTF8_STRING) return std::nullopt;
        return std::string_view(d.utf8_string, d.data_size);
    }

    partial_attributes decode(MMDB_entry_s entry) const {
        partial_attributes a;
        MMDB_entry_data_s d;
        if (get(entry, d, "autonomous_system_number") || get(entry, d, "asn")) {
            const auto v = as_unsigned(d);
            if (v && *v <= UINT32_MAX) a.asn = static_cast<uint32_t>(*v);
        }
        if (get(entry, d, "autonomous_system_organization") || get(entry, d, "as_name")) {
            const auto s = as_string(d);
            if (s && !s->empty()) a.org = std::string(*s);
        }
        if (get(entry, d, "country", "iso_code") || get(entry, d, "country_code")) {
            const auto s = as_string(d);
            if (s && s->size() == 2) a.country = std::array<char, 2>{(*s)[0], (*s)[1]};
        }
        return a;
    }

    const MMDB_s& db_;
    source_partition& out_;
    std::unordered_map<uint64_t, uint32_t> ids_;  // data record -> index in out_.records
    std::vector<bool> visited_;
    std::optional<uint64_t> v4_node_;  // the node at ::/96, when the IPv4 subtree is a node
    bool v6_aliases_ = false;
};

}  // namespace

source_partition read_mmdb(const std::string& path) {
    open_mmdb db(path);
    const MMDB_s& m = db.get();
    source_partition out;
    out.info.path = path;
    out.info.database_type = m.metadata.database_type ? m.metadata.database_type : "";
    out.info.build_epoch = m.metadata.build_epoch;
    out.info.ip_version = m.metadata.ip_version;
    out.info.node_count = m.metadata.node_count;
    out.info.record_size = m.metadata.record_size;
    tree_walker(m, out).run();
    out.info.data_records = out.records.size() - 1;
    if (!out.info.has_asn && !out.info.has_org && !out.info.has_country)
        throw load_error(path + ": no record carries an AS number, AS organisation or country (database type '" +
                         out.info.database_type + "')");
    return out;
}

}  // namespace ipfix::enrich
