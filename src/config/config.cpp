#include "ipfix/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>

namespace ipfix::config {
namespace {

// One mapping being read: knows its key path for messages and rejects keys it was not asked for.
class section {
public:
    section(const YAML::Node& node, std::string path, const std::string& file)
        : node_(node), path_(std::move(path)), file_(file) {
        if (node_ && !node_.IsNull() && !node_.IsMap()) fail(node_, path_, "must be a mapping");
    }

    [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& msg) const {
        throw config_error(file_, at.Mark().is_null() ? 0 : at.Mark().line + 1, key, msg);
    }

    void allow_only(std::initializer_list<std::string_view> keys) const {
        if (!node_ || node_.IsNull()) return;
        for (const auto& kv : node_) {
            const std::string k = kv.first.as<std::string>();
            bool known = false;
            for (std::string_view allowed : keys) known |= allowed == k;
            if (!known) {
                std::string list;
                for (std::string_view allowed : keys) list += (list.empty() ? "" : ", ") + std::string(allowed);
                fail(kv.first, key(k), "unknown key (expected one of: " + list + ")");
            }
        }
    }

    std::string key(std::string_view k) const { return path_.empty() ? std::string(k) : path_ + "." + std::string(k); }
    // Undefined (false) when absent; const lookups never insert the key.
    YAML::Node get(std::string_view k) const {
        if (!node_ || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
        const YAML::Node& n = node_;
        return n[std::string(k)];
    }
    const std::string& file() const { return file_; }
    const YAML::Node& node() const { return node_; }

    template <class T>
    void read_uint(std::string_view k, T& out, uint64_t min, uint64_t max) const {
        const YAML::Node n = get(k);
        if (!n) return;
        out = static_cast<T>(as_uint(n, key(k), min, max));
    }

    uint64_t as_uint(const YAML::Node& n, const std::string& k, uint64_t min, uint64_t max) const {
        if (!n.IsScalar()) fail(n, k, "must be a number");
        const std::string s = n.Scalar();
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size()) fail(n, k, "must be a whole number, not '" + s + "'");
        if (v < min || v > max) {
            fail(n, k, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + s);
        }
        return v;
    }

    void read_bool(std::string_view k, bool& out) const {
        const YAML::Node n = get(k);
        if (!n) return;
        if (!n.IsScalar()) fail(n, key(k), "must be true or false");
        const std::string& s = n.Scalar();
        if (s == "true" || s == "yes" || s == "on") out = true;
        else if (s == "false" || s == "no" || s == "off") out = false;
        else fail(n, key(k), "must be true or false, not '" + s + "'");
    }

    void read_string(std::string_view k, std::string& out) const {
        const YAML::Node n = get(k);
        if (!n) return;
        if (!n.IsScalar()) fail(n, key(k), "must be a string");
        out = n.Scalar();
    }

    template <class E>
    void read_enum(std::string_view k, E& out, std::initializer_list<std::pair<std::string_view, E>> names) const {
        const YAML::Node n = get(k);
        if (!n) return;
        std::string list;
        if (n.IsScalar()) {
            for (const auto& [name, value] : names) {
                if (n.Scalar() == name) {
                    out = value;
                    return;
                }
            }
        }
        for (const auto& [name, value] : names) list += (list.empty() ? "" : ", ") + std::string(name);
        fail(n, key(k), "must be one of: " + list);
    }

    proto::ip_address read_address(std::string_view k, std::string& text) const {
        read_string(k, text);
        if (auto a = text == "localhost" ? proto::ip_address::parse("127.0.0.1") : proto::ip_address::parse(text)) {
            return *a;
        }
        fail(get(k) ? get(k) : node_, key(k), "'" + text + "' is not an IPv4 or IPv6 address");
    }

private:
    YAML::Node node_;
    std::string path_;
    const std::string& file_;
};

const std::initializer_list<std::pair<std::string_view, as_policy>> policy_names = {
    {"fill", as_policy::fill}, {"override", as_policy::override_}, {"never", as_policy::never}};

void read_general(const section& s, general_config& g) {
    s.allow_only({"listen_address", "listen_port", "output_port", "stats_address", "stats_port",
                  "stats_max_connections", "stats_idle_timeout_seconds", "stats_token", "log_level"});
    std::string text = g.listen_address;
    if (s.get("listen_address")) s.read_address("listen_address", text);
    g.listen_address = text;
    text = g.stats_address;
    // An empty stats_address turns the stats port off.
    if (s.get("stats_address")) s.read_string("stats_address", text);
    if (!text.empty()) s.read_address("stats_address", text);
    g.stats_address = text;
    s.read_uint("listen_port", g.listen_port, 1, 65535);
    s.read_uint("output_port", g.output_port, 1, 65535);
    s.read_uint("stats_port", g.stats_port, 0, 65535);
    s.read_uint("stats_max_connections", g.stats_max_connections, 1, 1024);
    s.read_uint("stats_idle_timeout_seconds", g.stats_idle_timeout_seconds, 1, 86400);
    s.read_string("stats_token", g.stats_token);
    // Typed after `reset` and sent in an Authorization header: visible ASCII, one word.
    for (char c : g.stats_token) {
        if (c < '!' || c > '~' || g.stats_token.size() > 256) {
            s.fail(s.get("stats_token"), s.key("stats_token"), "must be 1 to 256 visible ASCII characters (no blanks)");
        }
    }
    s.read_enum<std::string>("log_level", g.log_level,
                             {{"debug", "debug"}, {"info", "info"}, {"warning", "warning"}, {"error", "error"}});
}

void read_bad_as(const section& s, as_ranges& out) {
    const YAML::Node n = s.get("bad_as");
    if (!n) return;
    const std::string k = s.key("bad_as");
    if (!n.IsSequence()) s.fail(n, k, "must be a list of AS numbers or ranges 'A-B'");
    out.ranges.clear();
    for (const auto& item : n) {
        if (!item.IsScalar()) s.fail(item, k, "must be a list of AS numbers or ranges 'A-B'");
        const std::string v = item.Scalar();
        const size_t dash = v.find('-');
        constexpr uint64_t max = std::numeric_limits<uint32_t>::max();
        if (dash == std::string::npos) {
            const auto as = static_cast<uint32_t>(s.as_uint(item, k, 0, max));
            out.ranges.emplace_back(as, as);
        } else {
            YAML::Node lo(v.substr(0, dash)), hi(v.substr(dash + 1));
            const uint64_t a = s.as_uint(lo, k, 0, max), b = s.as_uint(hi, k, 0, max);
            if (a > b) s.fail(item, k, "range '" + v + "' runs backwards");
            out.ranges.emplace_back(static_cast<uint32_t>(a), static_cast<uint32_t>(b));
        }
    }
}

void read_database(const section& s, std::string_view k, std::string& path, bool check_files) {
    s.read_string(k, path);
    if (check_files && !path.empty() && !std::filesystem::is_regular_file(path)) {
        s.fail(s.get(k), s.key(k), "database file '" + path + "' does not exist");
    }
}

void read_enrichment(const section& s, enrichment_config& e, bool check_files) {
    s.allow_only({"as_extraction", "asn_database", "country_database", "source", "destination", "bad_as",
                  "exporters", "names", "original_exporter"});
    s.read_bool("as_extraction", e.enabled);
    read_database(s, "asn_database", e.asn_database, check_files);
    read_database(s, "country_database", e.country_database, check_files);
    s.read_enum("source", e.source, policy_names);
    s.read_enum("destination", e.destination, policy_names);
    s.read_bool("original_exporter", e.original_exporter);
    read_bad_as(s, e.bad_as);
    if (e.enabled && e.asn_database.empty() && s.node()) {
        s.fail(s.node(), s.key("asn_database"), "is required while as_extraction is on");
    }

    const section names(s.get("names"), s.key("names"), s.file());
    names.allow_only({"enterprise_number", "source_as_name_id", "destination_as_name_id", "source_country_id",
                      "destination_country_id"});
    names.read_uint("enterprise_number", e.names_pen, 0, std::numeric_limits<uint32_t>::max() - 2);
    names.read_uint("source_as_name_id", e.source_as_name_id, 0, 0x7FFF);
    names.read_uint("destination_as_name_id", e.destination_as_name_id, 0, 0x7FFF);
    names.read_uint("source_country_id", e.source_country_id, 0, 0x7FFF);
    names.read_uint("destination_country_id", e.destination_country_id, 0, 0x7FFF);

    const YAML::Node list = s.get("exporters");
    if (!list) return;
    if (!list.IsSequence()) s.fail(list, s.key("exporters"), "must be a list of {match, source, destination}");
    for (size_t i = 0; i < list.size(); ++i) {
        const section r(list[i], s.key("exporters") + "[" + std::to_string(i) + "]", s.file());
        r.allow_only({"match", "source", "destination"});
        exporter_rule rule;
        rule.source = e.source;
        rule.destination = e.destination;
        std::string text;
        r.read_string("match", text);
        const auto p = parse_prefix(text);
        if (!p) r.fail(r.get("match") ? r.get("match") : list[i], r.key("match"), "'" + text + "' is not an address or prefix");
        rule.match = *p;
        r.read_enum("source", rule.source, policy_names);
        r.read_enum("destination", rule.destination, policy_names);
        e.exporters.push_back(rule);
    }
}

std::optional<std::array<uint8_t, 6>> parse_mac(const std::string& t) {
    std::array<uint8_t, 6> m{};
    if (t.size() != 17) return std::nullopt;
    for (size_t i = 0; i < 6; ++i) {
        if (i < 5 && (t[i * 3 + 2] != ':' || t[i * 3 + 2] != t[2])) return std::nullopt;
        unsigned v = 0;
        auto [p, ec] = std::from_chars(t.data() + i * 3, t.data() + i * 3 + 2, v, 16);
        if (ec != std::errc() || p != t.data() + i * 3 + 2) return std::nullopt;
        m[i] = static_cast<uint8_t>(v);
    }
    return m;
}

// An address with its prefix length ("10.77.0.1/24") of one family.
prefix read_interface(const section& s, std::string_view k, uint8_t family) {
    std::string text;
    s.read_string(k, text);
    const auto p = parse_prefix(text);
    const char* form = family == 4 ? "10.77.0.1/24" : "2001:db8::1/64";
    if (!p || p->address.family != family || text.find('/') == std::string::npos) {
        s.fail(s.get(k), s.key(k), "'" + text + "' is not an IPv" + std::to_string(family) +
                                       " address with a prefix length, like " + form);
    }
    return *p;
}

proto::ip_address read_gateway(const section& s, std::string_view k, const prefix& on) {
    std::string text;
    const proto::ip_address g = s.read_address(k, text);
    if (on.address.empty() || g.family != on.address.family || !on.contains(g)) {
        s.fail(s.get(k), s.key(k), "'" + text + "' is not on the port's prefix " +
                                       (on.address.empty() ? std::string("(no address of its family)")
                                                           : on.address.to_string() + "/" + std::to_string(on.length)));
    }
    return g;
}

void read_dpdk(const section& s, dpdk_config& d) {
    s.allow_only({"ports", "neighbour_lifetime_seconds", "rx_descriptors", "tx_descriptors"});
    s.read_uint("neighbour_lifetime_seconds", d.neighbour_lifetime_seconds, 10, 86400);
    s.read_uint("rx_descriptors", d.rx_descriptors, 64, 16384);
    s.read_uint("tx_descriptors", d.tx_descriptors, 64, 16384);
    const YAML::Node list = s.get("ports");
    if (!list) return;
    if (!list.IsSequence()) s.fail(list, s.key("ports"), "must be a list of {device, address, ...}");
    for (size_t i = 0; i < list.size(); ++i) {
        const section p(list[i], s.key("ports") + "[" + std::to_string(i) + "]", s.file());
        p.allow_only({"device", "address", "gateway", "address6", "gateway6", "neighbours", "exception", "vlan", "mtu"});
        dpdk_port_config port;
        p.read_string("exception", port.exception);
        p.read_uint("vlan", port.vlan, 0, 4094);
        p.read_uint("mtu", port.mtu, min_mtu, max_port_mtu);
        p.read_string("device", port.device);
        if (port.device.empty()) p.fail(p.get("device") ? p.get("device") : list[i], p.key("device"), "is required");
        if (p.get("address")) port.address = read_interface(p, "address", 4);
        if (p.get("address6")) port.address6 = read_interface(p, "address6", 6);
        if (port.address.address.empty() && port.address6.address.empty()) {
            p.fail(list[i], p.key("address"), "is required (or address6): the port needs an address of ours");
        }
        if (p.get("gateway")) port.gateway = read_gateway(p, "gateway", port.address);
        if (p.get("gateway6")) port.gateway6 = read_gateway(p, "gateway6", port.address6);
        const YAML::Node ns = p.get("neighbours");
        if (ns && !ns.IsSequence()) p.fail(ns, p.key("neighbours"), "must be a list of {address, mac}");
        for (size_t j = 0; ns && j < ns.size(); ++j) {
            const section n(ns[j], p.key("neighbours") + "[" + std::to_string(j) + "]", s.file());
            n.allow_only({"address", "mac"});
            neighbour_config nb;
            std::string text;
            if (!n.get("address")) n.fail(ns[j], n.key("address"), "is required");
            nb.address = n.read_address("address", text);
            if (!n.get("mac")) n.fail(ns[j], n.key("mac"), "is required");
            n.read_string("mac", text);
            const auto mac = parse_mac(text);
            if (!mac) n.fail(n.get("mac"), n.key("mac"), "'" + text + "' is not a MAC address like 02:00:00:00:00:01");
            nb.mac = *mac;
            port.neighbours.push_back(nb);
        }
        d.ports.push_back(std::move(port));
    }
}

void read_io(const section& s, io_config& io) {
    s.allow_only({"backend", "layout", "burst", "eal_args", "dpdk"});
    s.read_enum("backend", io.backend, {{"socket", io_backend::socket}, {"dpdk", io_backend::dpdk}});
    s.read_enum("layout", io.layout, {{"fused", pipeline_layout::fused}, {"split", pipeline_layout::split}});
    s.read_uint("burst", io.burst, 1, 512);
    read_dpdk(section(s.get("dpdk"), s.key("dpdk"), s.file()), io.dpdk);
    if (io.backend == io_backend::dpdk && io.dpdk.ports.empty()) {
        s.fail(s.get("dpdk") ? s.get("dpdk") : s.get("backend"), s.key("dpdk.ports"),
               "the dpdk backend needs at least one port: [{device, address}]");
    }
    const YAML::Node args = s.get("eal_args");
    if (!args) return;
    if (!args.IsSequence()) s.fail(args, s.key("eal_args"), "must be a list of strings");
    io.eal_args.clear();
    for (size_t i = 0; i < args.size(); ++i) {
        if (!args[i].IsScalar()) s.fail(args[i], s.key("eal_args"), "must be a list of strings");
        io.eal_args.push_back(args[i].Scalar());
    }
}

void read_retention(const section& s, retention_config& r) {
    s.allow_only({"enabled", "max_age_seconds", "max_bytes"});
    s.read_bool("enabled", r.enabled);
    s.read_uint("max_age_seconds", r.max_age_seconds, 1, 366u * 86400);
    // Below a few MiB RocksDB's own files (log, manifest, memtable flushes) dominate the cap.
    s.read_uint("max_bytes", r.max_bytes, uint64_t{4} << 20, uint64_t{1} << 50);
}

void read_store(const section& s, store_config& st) {
    s.allow_only({"enabled", "path", "retention"});
    s.read_bool("enabled", st.enabled);
    s.read_string("path", st.path);
    read_retention(section(s.get("retention"), s.key("retention"), s.file()), st.retention);
    // The daemon runs from /: a relative path would land somewhere unexpected.
    if (st.path.empty() || st.path.front() != '/') s.fail(s.get("path"), s.key("path"), "must be an absolute path");
}

void read_forwarding(const section& s, forwarding_config& f, const general_config& g) {
    s.allow_only({"collectors", "template_refresh_seconds", "template_refresh_packets", "unknown_templates"});
    s.read_uint("template_refresh_seconds", f.template_refresh_seconds, 0, 86400);
    s.read_uint("template_refresh_packets", f.template_refresh_packets, 0, 1'000'000);
    s.read_enum("unknown_templates", f.forward_unknown, {{"forward", true}, {"drop", false}});
    const YAML::Node list = s.get("collectors");
    if (!list) return;
    if (!list.IsSequence()) s.fail(list, s.key("collectors"), "must be a list of {host, port}");
    for (size_t i = 0; i < list.size(); ++i) {
        const section c(list[i], s.key("collectors") + "[" + std::to_string(i) + "]", s.file());
        c.allow_only({"host", "port", "version", "source_address", "mtu", "transport", "spool_max_bytes"});
        collector_config col;
        col.port = g.output_port;
        if (!c.get("host")) c.fail(list[i], c.key("host"), "is required");
        col.address = c.read_address("host", col.host);
        c.read_uint("port", col.port, 1, 65535);
        c.read_enum("version", col.version, {{"same", output_version::same}, {"ipfix", output_version::ipfix}});
        c.read_enum("source_address", col.source_address,
                    {{"own", source_address_mode::own}, {"exporter", source_address_mode::exporter}});
        if (const YAML::Node m = c.get("mtu"); m && !(m.IsScalar() && m.Scalar() == "auto")) {
            if (!m.IsScalar()) c.fail(m, c.key("mtu"), "must be auto or a number");
            uint64_t v = 0;
            const std::string& t = m.Scalar();
            auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
            if (ec != std::errc() || p != t.data() + t.size() || v < min_mtu || v > max_mtu) {
                c.fail(m, c.key("mtu"), "must be auto or a number between " + std::to_string(min_mtu) + " and " +
                                            std::to_string(max_mtu) + ", not '" + t + "'");
            }
            col.mtu = static_cast<uint16_t>(v);
        }
        c.read_enum("transport", col.transport, {{"udp", collector_transport::udp}, {"tcp", collector_transport::tcp}});
        c.read_uint("spool_max_bytes", col.spool_max_bytes, 65536, uint64_t{1} << 40);
        if (col.transport == collector_transport::tcp && col.version != output_version::ipfix) {
            c.fail(c.get("transport"), c.key("transport"), "tcp carries IPFIX only: set version: ipfix");
        }
        if (col.transport == collector_transport::tcp && col.source_address == source_address_mode::exporter) {
            c.fail(c.get("source_address"), c.key("source_address"), "exporter needs transport udp");
        }
        f.collectors.push_back(col);
    }
}

}  // namespace

config_error::config_error(std::string file, int line, std::string key, const std::string& message)
    : std::runtime_error(file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " +
                         (key.empty() ? "" : key + ": ") + message),
      file_(std::move(file)), line_(line), key_(std::move(key)) {}

bool prefix::contains(const proto::ip_address& a) const {
    if (a.family != address.family) return false;
    const size_t full = length / 8u;
    for (size_t i = 0; i < full; ++i) {
        if (a.bytes[i] != address.bytes[i]) return false;
    }
    const unsigned rest = length % 8u;
    if (rest == 0) return true;
    const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
    return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

std::optional<prefix> parse_prefix(std::string_view text) {
    const size_t slash = text.find('/');
    auto a = proto::ip_address::parse(text.substr(0, slash));
    if (!a) return std::nullopt;
    const unsigned max = a->family == 4 ? 32 : 128;
    unsigned len = max;
    if (slash != std::string_view::npos) {
        const std::string_view l = text.substr(slash + 1);
        auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
        if (ec != std::errc() || p != l.data() + l.size() || len > max) return std::nullopt;
    }
    return prefix{*a, static_cast<uint8_t>(len)};
}

std::pair<as_policy, as_policy> daemon_config::policy_for(const proto::ip_address& exporter) const {
    for (const exporter_rule& r : enrichment.exporters) {
        if (r.match.contains(exporter)) return {r.source, r.destination};
    }
    return {enrichment.source, enrichment.destination};
}

daemon_config parse(std::string_view yaml, const std::string& name, bool check_files) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::ParserException& e) {
        throw config_error(name, e.mark.is_null() ? 0 : e.mark.line + 1, "", "not valid YAML: " + e.msg);
    }
    daemon_config c;
    c.path = name;
    c.enrichment.bad_as = enrich::default_bad_as();
    const section top(root, "", name);
    top.allow_only({"general", "enrichment", "forwarding", "performance", "io", "templates", "store"});
    read_general(section(top.get("general"), "general", name), c.general);
    read_enrichment(section(top.get("enrichment"), "enrichment", name), c.enrichment, check_files);
    read_forwarding(section(top.get("forwarding"), "forwarding", name), c.forwarding, c.general);

    const section perf(top.get("performance"), "performance", name);
    perf.allow_only({"workers", "queue_size", "buffer_size"});
    perf.read_uint("workers", c.performance.workers, 1, 128);
    perf.read_uint("queue_size", c.performance.queue_size, 64, 1u << 20);
    perf.read_uint("buffer_size", c.performance.buffer_size, 65536, 1u << 30);
    if (c.performance.queue_size & (c.performance.queue_size - 1)) {
        perf.fail(perf.get("queue_size"), "performance.queue_size", "must be a power of two");
    }

    read_io(section(top.get("io"), "io", name), c.io);
    if (c.io.backend == io_backend::dpdk) {
        // Each collector needs a port with an address of its family to send from.
        const YAML::Node list = section(top.get("forwarding"), "forwarding", name).get("collectors");
        for (size_t i = 0; list && i < c.forwarding.collectors.size(); ++i) {
            const uint8_t f = c.forwarding.collectors[i].address.family;
            bool reachable = false;
            for (const dpdk_port_config& p : c.io.dpdk.ports) {
                reachable |= (f == 4 ? p.address.address.family : p.address6.address.family) == f;
            }
            if (!reachable) {
                top.fail(list[i]["host"], "forwarding.collectors[" + std::to_string(i) + "].host",
                         "no io.dpdk port has an IPv" + std::to_string(f) + " address to send to it from");
            }
        }
    }

    const section tpl(top.get("templates"), "templates", name);
    tpl.allow_only({"lifetime_seconds", "max_streams", "max_templates"});
    tpl.read_uint("lifetime_seconds", c.templates.lifetime_seconds, 1, 7 * 86400);
    tpl.read_uint("max_streams", c.templates.max_streams, 1, 1u << 24);
    tpl.read_uint("max_templates", c.templates.max_templates, 1, 1u << 26);

    read_store(section(top.get("store"), "store", name), c.store);

    if (c.forwarding.collectors.empty()) {
        collector_config col;
        col.host = "127.0.0.1";
        col.address = *proto::ip_address::parse(col.host);
        col.port = c.general.output_port;
        c.forwarding.collectors.push_back(col);
    }
    return c;
}

daemon_config load_file(const std::string& path, bool check_files) {
    std::ifstream in(path);
    if (!in) throw config_error(path, 0, "", "cannot read the file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path, check_files);
}

}  // namespace ipfix::config
