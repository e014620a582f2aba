// The daemon's configuration (YAML): defaults, types and cross-checks. Loading validates
// everything before anything starts; the first problem is reported with file, line and key.
//
//   ipfix::config::daemon_config c = ipfix::config::load_file("/etc/ipfix-enricher/ipfix-enricher.yaml");
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipfix/enrich/as_policy.hpp"
#include "ipfix/proto/ip_address.hpp"

namespace ipfix::config {

using enrich::as_policy;
using enrich::as_ranges;

struct prefix {
    proto::ip_address address;
    uint8_t length = 0;
    bool contains(const proto::ip_address& a) const;
    friend bool operator==(const prefix&, const prefix&) = default;
};

// A per-exporter policy: routers that fill AS from a default route or a VRF.
struct exporter_rule {
    prefix match;
    as_policy source = as_policy::fill;
    as_policy destination = as_policy::fill;
};

struct enrichment_config {
    bool enabled = true;               // enrichment.as_extraction
    std::string asn_database;          // MMDB, GeoLite2-ASN schema
    std::string country_database;      // MMDB, country.iso_code or country_code
    as_policy source = as_policy::fill;
    as_policy destination = as_policy::fill;
    as_ranges bad_as;
    std::vector<exporter_rule> exporters;  // first match wins
    uint32_t names_pen = 0;                // 0: no AS names / countries added
    uint16_t source_as_name_id = 1;
    uint16_t destination_as_name_id = 2;
    uint16_t source_country_id = 3;
    uint16_t destination_country_id = 4;
    bool original_exporter = true;     // RFC 7119 fields when we re-export as ourselves
};

enum class output_version : uint8_t { same, ipfix };
enum class source_address_mode : uint8_t { own, exporter };
// TCP (RFC 7011 §10.4) carries IPFIX only; its messages go through a spool when the collector
// is down or slow (store.path), replayed in order when it is back.
enum class collector_transport : uint8_t { udp, tcp };

// A collector's MTU: `auto` (the shipped default) or 576..9216. Auto is the MTU of the route
// toward the collector (the socket backend asks the kernel; the dpdk backend takes the port's
// MTU), at most max_mtu: the largest IP packet an mbuf holds whole (dpdk_env::data_room).
// Where nothing can be asked (offline, TCP collectors) auto means fallback_mtu.
inline constexpr uint16_t mtu_auto = 0;
inline constexpr uint16_t min_mtu = 576;
inline constexpr uint16_t max_mtu = 9216;
inline constexpr uint16_t fallback_mtu = 1500;
// A dpdk port receives each frame into one mbuf: the IP MTU leaves room for Ethernet and an 802.1Q tag.
inline constexpr uint16_t max_port_mtu = max_mtu - 18;

struct collector_config {
    std::string host;
    proto::ip_address address;
    uint16_t port = 2056;
    output_version version = output_version::same;
    source_address_mode source_address = source_address_mode::own;
    uint16_t mtu = mtu_auto;  // or min_mtu..max_mtu
    collector_transport transport = collector_transport::udp;
    uint64_t spool_max_bytes = 256ull << 20;  // tcp: the spool's cap; the oldest goes beyond it
};

struct forwarding_config {
    std::vector<collector_config> collectors;
    uint32_t template_refresh_seconds = 60;
    uint32_t template_refresh_packets = 0;
    bool forward_unknown = true;
};

struct general_config {
    std::string listen_address = "0.0.0.0";
    uint16_t listen_port = 2055;
    uint16_t output_port = 2056;   // default port of collectors that name none
    std::string stats_address = "127.0.0.1";  // empty: no stats port
    uint16_t stats_port = 9999;                // 0: the kernel picks (the daemon logs it)
    uint32_t stats_max_connections = 16;
    uint32_t stats_idle_timeout_seconds = 300;
    std::string stats_token;  // empty: the stats port changes nothing (reset needs the token)
    std::string log_level = "info";
};

struct performance_config {
    uint32_t workers = 1;
    uint32_t queue_size = 4096;
    uint32_t buffer_size = 8 * 1024 * 1024;  // socket buffers, bytes
};

enum class io_backend : uint8_t { socket, dpdk };
// How the stages sit on lcores: each worker runs receive, decode, enrich, mediate and send in
// one loop (fused: best on small boxes), or one lcore receives and hands datagrams to worker
// lcores over rings by exporter (split).
enum class pipeline_layout : uint8_t { fused, split };

// A neighbour whose MAC address is configured (no ARP / neighbour discovery for it).
struct neighbour_config {
    proto::ip_address address;
    std::array<uint8_t, 6> mac{};
    friend bool operator==(const neighbour_config&, const neighbour_config&) = default;
};

// One ethdev port of the dpdk backend and our addresses on it (family 0: none).
struct dpdk_port_config {
    std::string device;        // devargs: "net_af_packet0,iface=veth0", "net_tap0", a PCI address
    prefix address;            // our IPv4 address and the on-link prefix
    proto::ip_address gateway; // next hop for collectors off the prefix
    prefix address6;
    proto::ip_address gateway6;
    std::vector<neighbour_config> neighbours;
    std::string exception;     // devargs of a TAP ("net_tap0,iface=ipfix0") for other traffic
    uint16_t vlan = 0;         // 802.1Q VLAN id of our frames on the port; 0: untagged
    uint16_t mtu = 0;          // set on the port at start (min_mtu..max_port_mtu); 0: the device's own
    friend bool operator==(const dpdk_port_config&, const dpdk_port_config&) = default;
};

struct dpdk_config {
    std::vector<dpdk_port_config> ports;
    uint32_t neighbour_lifetime_seconds = 300;
    uint16_t rx_descriptors = 1024;
    uint16_t tx_descriptors = 1024;
    friend bool operator==(const dpdk_config&, const dpdk_config&) = default;
};

struct io_config {
    io_backend backend = io_backend::socket;
    pipeline_layout layout = pipeline_layout::fused;
    uint32_t burst = 32;  // datagrams per receive, ring and send burst
    // EAL arguments. The defaults need no hugepages, PCI devices or root-only features: right
    // for the socket backend anywhere; the dpdk backend on NICs wants hugepages and its ports.
    std::vector<std::string> eal_args = {"--no-huge", "--no-pci", "--no-shconf", "-m", "256", "--log-level=lib.*:error"};
    dpdk_config dpdk;  // backend dpdk only
};

struct templates_config {
    uint32_t lifetime_seconds = 1800;
    uint32_t max_streams = 16384;
    uint32_t max_templates = 262144;
};

// Enriched records kept for queries (ipfix-tail --since), in <store.path>/retention.
struct retention_config {
    bool enabled = true;  // when the store is enabled
    uint32_t max_age_seconds = 3600;
    uint64_t max_bytes = uint64_t{1} << 30;
};

// Templates persisted across restarts (RocksDB); the systemd unit's StateDirectory holds it.
struct store_config {
    bool enabled = true;
    std::string path = "/var/lib/ipfix-enricher/store";
    retention_config retention;
};

struct daemon_config {
    std::string path;
    general_config general;
    enrichment_config enrichment;
    forwarding_config forwarding;
    performance_config performance;
    io_config io;
    templates_config templates;
    store_config store;

    // The policy for an exporter: its rule if one matches, else the global one.
    std::pair<as_policy, as_policy> policy_for(const proto::ip_address& exporter) const;
};

class config_error : public std::runtime_error {
public:
    config_error(std::string file, int line, std::string key, const std::string& message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }   // 1-based; 0 when not tied to a line
    const std::string& key() const { return key_; }

private:
    std::string file_;
    int line_;
    std::string key_;
};

// Parses and validates; throws config_error. `check_files` also requires the databases to exist.
daemon_config parse(std::string_view yaml, const std::string& name, bool check_files = true);
daemon_config load_file(const std::string& path, bool check_files = true);

std::optional<prefix> parse_prefix(std::string_view text);

}  // namespace ipfix::config
