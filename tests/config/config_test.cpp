// Config validation: every bad input names its file, line and key; defaults are the seed's.
#include <catch2/catch.hpp>

#include <string>

#include "ipfix/config/config.hpp"

using namespace ipfix;
using config::as_policy;

namespace {

std::string error_of(const std::string& yaml) {
    try {
        config::parse(yaml, "test.yaml", false);
    } catch (const config::config_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("emptyConfigGivesSeedDefaults", "[config]") {
    const auto c = config::parse("", "empty.yaml", false);
    CHECK(c.general.listen_port == 2055);
    CHECK(c.general.output_port == 2056);
    CHECK(c.general.stats_port == 9999);
    CHECK(c.general.stats_address == "127.0.0.1");
    REQUIRE(c.forwarding.collectors.size() == 1);
    CHECK(c.forwarding.collectors[0].host == "127.0.0.1");
    CHECK(c.forwarding.collectors[0].port == 2056);
    CHECK(c.forwarding.collectors[0].mtu == config::mtu_auto);
    CHECK(c.enrichment.source == as_policy::fill);
    CHECK(c.enrichment.bad_as.contains(0));
    CHECK(c.enrichment.bad_as.contains(23456));
    CHECK(c.enrichment.bad_as.contains(64512));
    CHECK(c.enrichment.bad_as.contains(65534));
    CHECK_FALSE(c.enrichment.bad_as.contains(65535));
    CHECK(c.enrichment.bad_as.contains(4200000000u));
    CHECK(c.enrichment.bad_as.contains(4294967295u));
    CHECK_FALSE(c.enrichment.bad_as.contains(15169));
    // Runs anywhere: the socket backend, EAL without hugepages or PCI.
    CHECK(c.io.backend == config::io_backend::socket);
    CHECK(c.io.layout == config::pipeline_layout::fused);
    CHECK(c.io.burst == 32);
    CHECK(c.io.eal_args.at(0) == "--no-huge");
    CHECK(c.io.eal_args.at(1) == "--no-pci");
}

TEST_CASE("fullConfigParsed", "[config]") {
    const auto c = config::parse(R"(
general:
  listen_port: 9995
  output_port: 3000
enrichment:
  as_extraction: true
  asn_database: /nonexistent/asn.mmdb
  source: override
  destination: never
  bad_as: [0, "64512-65534"]
  names: {enterprise_number: 32473, source_as_name_id: 10}
  exporters:
    - match: 192.0.2.0/24
      source: never
    - match: "2001:db8::1"
      destination: override
forwarding:
  collectors:
    - host: 127.0.0.1
      mtu: auto
    - host: "::1"
      port: 4739
      version: ipfix
      source_address: exporter
      mtu: 9000
  template_refresh_seconds: 30
  unknown_templates: drop
performance:
  workers: 2
  queue_size: 1024
io:
  layout: split
  burst: 64
  eal_args: ["--no-huge", "-l", "0-3"]
)", "full.yaml", false);
    CHECK(c.general.listen_port == 9995);
    REQUIRE(c.forwarding.collectors.size() == 2);
    CHECK(c.forwarding.collectors[0].port == 3000);  // general.output_port
    CHECK(c.forwarding.collectors[0].mtu == config::mtu_auto);
    CHECK(c.forwarding.collectors[1].address.family == 6);
    CHECK(c.forwarding.collectors[1].version == config::output_version::ipfix);
    CHECK(c.forwarding.collectors[1].source_address == config::source_address_mode::exporter);
    CHECK(c.forwarding.collectors[1].mtu == 9000);
    CHECK_FALSE(c.forwarding.forward_unknown);
    CHECK(c.forwarding.template_refresh_seconds == 30);
    CHECK(c.enrichment.names_pen == 32473);
    CHECK(c.enrichment.source_as_name_id == 10);
    CHECK(c.enrichment.destination_as_name_id == 2);
    CHECK_FALSE(c.enrichment.bad_as.contains(23456));
    CHECK(c.policy_for(*proto::ip_address::parse("192.0.2.77")) == std::pair{as_policy::never, as_policy::never});
    CHECK(c.policy_for(*proto::ip_address::parse("2001:db8::1")) == std::pair{as_policy::override_, as_policy::override_});
    CHECK(c.policy_for(*proto::ip_address::parse("2001:db8::2")) == std::pair{as_policy::override_, as_policy::never});
    CHECK(c.policy_for(*proto::ip_address::parse("198.51.100.1")) == std::pair{as_policy::override_, as_policy::never});
    CHECK(c.performance.workers == 2);
    CHECK(c.io.backend == config::io_backend::socket);
    CHECK(c.io.layout == config::pipeline_layout::split);
    CHECK(c.io.burst == 64);
    CHECK(c.io.eal_args == std::vector<std::string>{"--no-huge", "-l", "0-3"});
}

TEST_CASE("badConfigsNameFileLineAndKey", "[config]") {
    CHECK(error_of("general:\n  listen_prot: 2055\n") ==
          "test.yaml:2: general.listen_prot: unknown key (expected one of: listen_address, listen_port, "
          "output_port, stats_address, stats_port, stats_max_connections, stats_idle_timeout_seconds, stats_token, "
          "log_level)");
    CHECK(error_of("general:\n  listen_port: 70000\n") ==
          "test.yaml:2: general.listen_port: must be between 1 and 65535, not 70000");
    CHECK(error_of("general:\n  listen_port: abc\n") == "test.yaml:2: general.listen_port: must be a whole number, not 'abc'");
    CHECK(error_of("forwarding:\n  collectors:\n    - host: 300.1.1.1\n") ==
          "test.yaml:3: forwarding.collectors[0].host: '300.1.1.1' is not an IPv4 or IPv6 address");
    CHECK(error_of("forwarding:\n  collectors:\n    - port: 1\n") == "test.yaml:3: forwarding.collectors[0].host: is required");
    const std::string mtu_head = "forwarding:\n  collectors:\n    - host: 10.0.0.1\n      mtu: ";
    CHECK(error_of(mtu_head + "575\n") ==
          "test.yaml:4: forwarding.collectors[0].mtu: must be auto or a number between 576 and 9216, not '575'");
    CHECK(error_of(mtu_head + "9217\n") ==
          "test.yaml:4: forwarding.collectors[0].mtu: must be auto or a number between 576 and 9216, not '9217'");
    CHECK(error_of(mtu_head + "Auto\n") ==
          "test.yaml:4: forwarding.collectors[0].mtu: must be auto or a number between 576 and 9216, not 'Auto'");
    CHECK(error_of(mtu_head + "1500b\n") ==
          "test.yaml:4: forwarding.collectors[0].mtu: must be auto or a number between 576 and 9216, not '1500b'");
    CHECK(error_of(mtu_head + "[1500]\n") == "test.yaml:4: forwarding.collectors[0].mtu: must be auto or a number");
    CHECK(error_of("enrichment:\n  asn_database: x\n  source: sometimes\n") ==
          "test.yaml:3: enrichment.source: must be one of: fill, override, never");
    CHECK(error_of("enrichment:\n  asn_database: x\n  bad_as: [\"10-5\"]\n") ==
          "test.yaml:3: enrichment.bad_as: range '10-5' runs backwards");
    CHECK(error_of("enrichment:\n  asn_database: x\n  exporters:\n    - match: 10.0.0.0/33\n") ==
          "test.yaml:4: enrichment.exporters[0].match: '10.0.0.0/33' is not an address or prefix");
    CHECK(error_of("enrichment:\n  as_extraction: true\n") == "test.yaml:2: enrichment.asn_database: is required while as_extraction is on");
    CHECK(error_of("performance:\n  queue_size: 1000\n") == "test.yaml:2: performance.queue_size: must be a power of two");
    CHECK(error_of("bogus: 1\n") ==
          "test.yaml:1: bogus: unknown key (expected one of: general, enrichment, forwarding, performance, io, "
          "templates, store)");
    CHECK(error_of("io:\n  backend: pcap\n") == "test.yaml:2: io.backend: must be one of: socket, dpdk");
    CHECK(error_of("io:\n  backend: dpdk\n") ==
          "test.yaml:2: io.dpdk.ports: the dpdk backend needs at least one port: [{device, address}]");
    CHECK(error_of("io:\n  layout: pipelined\n") == "test.yaml:2: io.layout: must be one of: fused, split");
    CHECK(error_of("io:\n  burst: 0\n") == "test.yaml:2: io.burst: must be between 1 and 512, not 0");
    CHECK(error_of("io:\n  eal_args: --no-huge\n") == "test.yaml:2: io.eal_args: must be a list of strings");
    CHECK(error_of("io:\n  eal_args: [[1]]\n") == "test.yaml:2: io.eal_args: must be a list of strings");
    CHECK(error_of("general: [1, 2]\n") == "test.yaml:1: general: must be a mapping");
    CHECK(error_of("general:\n  listen_port: [\n") .find("test.yaml:") == 0);
}

TEST_CASE("missingDatabaseFileIsAnError", "[config]") {
    try {
        config::parse("enrichment:\n  asn_database: /nonexistent/asn.mmdb\n", "db.yaml", true);
        FAIL("no error");
    } catch (const config::config_error& e) {
        CHECK(std::string(e.what()) == "db.yaml:2: enrichment.asn_database: database file '/nonexistent/asn.mmdb' does not exist");
        CHECK(e.line() == 2);
        CHECK(e.key() == "enrichment.asn_database");
    }
}

TEST_CASE("prefixMatching", "[config]") {
    const auto p = config::parse_prefix("10.1.0.0/15");
    REQUIRE(p);
    CHECK(p->contains(*proto::ip_address::parse("10.0.255.255")));
    CHECK(p->contains(*proto::ip_address::parse("10.1.2.3")));
    CHECK_FALSE(p->contains(*proto::ip_address::parse("10.2.0.0")));
    CHECK_FALSE(p->contains(*proto::ip_address::parse("::a01:203")));
    CHECK_FALSE(config::parse_prefix("10.0.0.0/"));
    CHECK_FALSE(config::parse_prefix("nope"));
    CHECK(config::parse_prefix("::/0")->contains(*proto::ip_address::parse("2001:db8::1")));
}

TEST_CASE("shippedDefaultConfigParses", "[config]") {
    const auto c = config::load_file(SHIPPED_CONFIG, false);
    CHECK(c.general.listen_port == 2055);
    CHECK(c.enrichment.asn_database == "/var/lib/ipfix-enricher/asn.mmdb");
    REQUIRE(c.forwarding.collectors.size() == 1);
    CHECK(c.forwarding.collectors[0].port == 2056);
    CHECK(c.forwarding.collectors[0].mtu == config::mtu_auto);
    CHECK(c.enrichment.bad_as.contains(23456));
    CHECK(c.enrichment.names_pen == 0);
}

namespace {

const std::string dpdk_head = "forwarding:\n  collectors: [{host: 10.77.0.2}]\nio:\n  backend: dpdk\n  dpdk:\n    ports:\n";

}  // namespace

TEST_CASE("dpdkPortsParsed", "[config]") {
    const auto c = config::parse(dpdk_head +
                                     "      - device: \"net_af_packet0,iface=veth0\"\n"
                                     "        address: 10.77.0.1/24\n"
                                     "        gateway: 10.77.0.254\n"
                                     "        address6: 2001:db8:77::1/64\n"
                                     "        gateway6: 2001:db8:77::fe\n"
                                     "        neighbours:\n"
                                     "          - {address: 10.77.0.3, mac: \"02:00:00:00:00:03\"}\n"
                                     "          - {address: 2001:db8:77::3, mac: \"0A:bc:00:00:00:04\"}\n"
                                     "        exception: \"net_tap0,iface=ipfix0\"\n"
                                     "        mtu: 9000\n"
                                     "    neighbour_lifetime_seconds: 60\n"
                                     "    rx_descriptors: 512\n",
                                 "test.yaml", false);
    CHECK(c.io.backend == config::io_backend::dpdk);
    REQUIRE(c.io.dpdk.ports.size() == 1);
    const auto& p = c.io.dpdk.ports[0];
    CHECK(p.device == "net_af_packet0,iface=veth0");
    CHECK(p.address.address == *proto::ip_address::parse("10.77.0.1"));
    CHECK(p.address.length == 24);
    CHECK(p.gateway == *proto::ip_address::parse("10.77.0.254"));
    CHECK(p.address6.address == *proto::ip_address::parse("2001:db8:77::1"));
    CHECK(p.address6.length == 64);
    CHECK(p.gateway6 == *proto::ip_address::parse("2001:db8:77::fe"));
    REQUIRE(p.neighbours.size() == 2);
    CHECK(p.neighbours[0].address == *proto::ip_address::parse("10.77.0.3"));
    CHECK(p.neighbours[0].mac == std::array<uint8_t, 6>{2, 0, 0, 0, 0, 3});
    CHECK(p.neighbours[1].mac == std::array<uint8_t, 6>{0x0a, 0xbc, 0, 0, 0, 4});
    CHECK(p.exception == "net_tap0,iface=ipfix0");
    CHECK(p.mtu == 9000);
    CHECK(c.io.dpdk.neighbour_lifetime_seconds == 60);
    CHECK(c.io.dpdk.rx_descriptors == 512);
    CHECK(c.io.dpdk.tx_descriptors == 1024);
}

TEST_CASE("dpdkBadPortsNameFileLineAndKey", "[config]") {
    CHECK(error_of(dpdk_head + "      - address: 10.77.0.1/24\n") == "test.yaml:7: io.dpdk.ports[0].device: is required");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n") ==
          "test.yaml:7: io.dpdk.ports[0].address: is required (or address6): the port needs an address of ours");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1\n") ==
          "test.yaml:8: io.dpdk.ports[0].address: '10.77.0.1' is not an IPv4 address with a prefix length, like "
          "10.77.0.1/24");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/33\n") ==
          "test.yaml:8: io.dpdk.ports[0].address: '10.77.0.1/33' is not an IPv4 address with a prefix length, like "
          "10.77.0.1/24");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 2001:db8::1/64\n") ==
          "test.yaml:8: io.dpdk.ports[0].address: '2001:db8::1/64' is not an IPv4 address with a prefix length, like "
          "10.77.0.1/24");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        address6: 10.0.0.1/8\n") ==
          "test.yaml:9: io.dpdk.ports[0].address6: '10.0.0.1/8' is not an IPv6 address with a prefix length, like "
          "2001:db8::1/64");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        gateway: 10.78.0.1\n") ==
          "test.yaml:9: io.dpdk.ports[0].gateway: '10.78.0.1' is not on the port's prefix 10.77.0.1/24");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        gateway6: 2001:db8::1\n") ==
          "test.yaml:9: io.dpdk.ports[0].gateway6: '2001:db8::1' is not on the port's prefix (no address of its family)");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        neighbours:\n"
                               "          - {address: 10.77.0.3, mac: \"02:00:00:00:00\"}\n") ==
          "test.yaml:10: io.dpdk.ports[0].neighbours[0].mac: '02:00:00:00:00' is not a MAC address like 02:00:00:00:00:01");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        neighbours:\n"
                               "          - {address: 10.77.0.3, mac: \"02:00:00:00:00:0g\"}\n") ==
          "test.yaml:10: io.dpdk.ports[0].neighbours[0].mac: '02:00:00:00:00:0g' is not a MAC address like 02:00:00:00:00:01");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        neighbours:\n"
                               "          - {mac: \"02:00:00:00:00:03\"}\n") ==
          "test.yaml:10: io.dpdk.ports[0].neighbours[0].address: is required");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        speed: 10000\n") ==
          "test.yaml:9: io.dpdk.ports[0].speed: unknown key (expected one of: device, address, gateway, address6, "
          "gateway6, neighbours, exception, vlan, mtu)");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        vlan: 4095\n") ==
          "test.yaml:9: io.dpdk.ports[0].vlan: must be between 0 and 4094, not 4095");
    // An mbuf holds a whole frame: 9216 bytes with the Ethernet header and a VLAN tag.
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        mtu: 9199\n") ==
          "test.yaml:9: io.dpdk.ports[0].mtu: must be between 576 and 9198, not 9199");
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n        mtu: auto\n") ==
          "test.yaml:9: io.dpdk.ports[0].mtu: must be a whole number, not 'auto'");
    CHECK(config::parse(dpdk_head + "      - device: net_tap0\n        address: 10.77.0.1/24\n", "test.yaml", false)
              .io.dpdk.ports[0]
              .mtu == 0);  // the device's own
    CHECK(error_of(dpdk_head + "      - device: net_tap0\n        address6: 2001:db8::1/64\n") ==
          "test.yaml:2: forwarding.collectors[0].host: no io.dpdk port has an IPv4 address to send to it from");
    CHECK(error_of("io:\n  dpdk:\n    ports: net_tap0\n") ==
          "test.yaml:3: io.dpdk.ports: must be a list of {device, address, ...}");
    CHECK(error_of("io:\n  dpdk:\n    neighbour_lifetime_seconds: 5\n") ==
          "test.yaml:3: io.dpdk.neighbour_lifetime_seconds: must be between 10 and 86400, not 5");
}

TEST_CASE("storeSection", "[config]") {
    const auto d = config::parse("", "empty.yaml", false);
    CHECK(d.store.enabled);
    CHECK(d.store.path == "/var/lib/ipfix-enricher/store");
    const auto shipped = config::load_file(SHIPPED_CONFIG, false);
    CHECK(shipped.store.enabled == d.store.enabled);
    CHECK(shipped.store.path == d.store.path);
    const auto c = config::parse("store:\n  enabled: false\n  path: /tmp/x/store\n", "test.yaml", false);
    CHECK_FALSE(c.store.enabled);
    CHECK(c.store.path == "/tmp/x/store");
    CHECK(error_of("store:\n  enabled: maybe\n") == "test.yaml:2: store.enabled: must be true or false, not 'maybe'");
    CHECK(error_of("store:\n  path: var/store\n") == "test.yaml:2: store.path: must be an absolute path");
    CHECK(error_of("store:\n  path: \"\"\n") == "test.yaml:2: store.path: must be an absolute path");
    CHECK(error_of("store:\n  dir: /x\n") == "test.yaml:2: store.dir: unknown key (expected one of: enabled, path, retention)");
    CHECK(error_of("store: [1]\n") == "test.yaml:1: store: must be a mapping");
}

TEST_CASE("statsPortKeys", "[config]") {
    const auto d = config::parse("", "empty.yaml", false);
    CHECK(d.general.stats_max_connections == 16);
    CHECK(d.general.stats_idle_timeout_seconds == 300);
    const auto c = config::parse("general:\n  stats_address: \"\"\n  stats_port: 0\n  stats_max_connections: 4\n"
                                 "  stats_idle_timeout_seconds: 10\n",
                                 "stats.yaml", false);
    CHECK(c.general.stats_address.empty());  // the port is off
    CHECK(c.general.stats_port == 0);        // the kernel picks
    CHECK(c.general.stats_max_connections == 4);
    CHECK(c.general.stats_idle_timeout_seconds == 10);
    CHECK(error_of("general:\n  stats_max_connections: 0\n") ==
          "test.yaml:2: general.stats_max_connections: must be between 1 and 1024, not 0");
    CHECK(error_of("general:\n  stats_address: nowhere\n") ==
          "test.yaml:2: general.stats_address: 'nowhere' is not an IPv4 or IPv6 address");
    CHECK(d.general.stats_token.empty());  // no state-changing commands
    CHECK(config::parse("general:\n  stats_token: k3y-0f.x\n", "t.yaml", false).general.stats_token == "k3y-0f.x");
    CHECK(error_of("general:\n  stats_token: \"a b\"\n") ==
          "test.yaml:2: general.stats_token: must be 1 to 256 visible ASCII characters (no blanks)");
}
