// A collector's MTU as the daemon chooses it (pipeline/collector_mtu.hpp): a configured number
// as it is, auto from what the backend says within 576..9216, the fallback when it cannot say,
// and TCP collectors' messages at their size of before. With the daemon's exact log lines.
#include <catch2/catch.hpp>

#include "ipfix/config/config.hpp"
#include "ipfix/pipeline/collector_mtu.hpp"

using namespace ipfix;
using pipeline::choose_mtu;
using pipeline::mtu_source;

namespace {

config::collector_config collector(const char* host, uint16_t port, uint16_t mtu = config::mtu_auto) {
    config::collector_config c;
    c.host = host;
    c.address = *proto::ip_address::parse(host);
    c.port = port;
    c.mtu = mtu;
    return c;
}

}  // namespace

TEST_CASE("mtuAutoTakesTheRouteWithinWhatThePipelineBuilds", "[config][mtu]") {
    const auto col = collector("127.0.0.1", 2056);
    CHECK(pipeline::needs_path_mtu(col));
    auto c = choose_mtu(col, 65535, "", mtu_source::route);
    CHECK(c.mtu == 9216);
    CHECK(c.note == "collector 127.0.0.1:2056: mtu auto -> 9216 (route mtu 65535)");
    CHECK_FALSE(c.warning);
    c = choose_mtu(collector("::1", 4739), 65536, "", mtu_source::route);
    CHECK(c.mtu == 9216);
    CHECK(c.note == "collector [::1]:4739: mtu auto -> 9216 (route mtu 65536)");
    c = choose_mtu(collector("10.99.0.2", 2056), 1280, "", mtu_source::route);
    CHECK(c.mtu == 1280);
    CHECK(c.note == "collector 10.99.0.2:2056: mtu auto -> 1280 (route mtu 1280)");
    c = choose_mtu(collector("10.99.0.2", 2056), 9216, "", mtu_source::port);
    CHECK(c.mtu == 9216);
    CHECK(c.note == "collector 10.99.0.2:2056: mtu auto -> 9216 (port mtu 9216)");
    c = choose_mtu(collector("10.99.0.2", 2056), 9000, "", mtu_source::port);
    CHECK(c.mtu == 9000);
}

TEST_CASE("mtuAutoBelowTheLeastOrUnknown", "[config][mtu]") {
    auto c = choose_mtu(collector("10.99.0.2", 2056), 500, "", mtu_source::route);
    CHECK(c.mtu == 576);
    CHECK(c.warning);
    CHECK(c.note == "collector 10.99.0.2:2056: mtu auto -> 576 (route mtu 500)");
    c = choose_mtu(collector("192.0.2.1", 2056), std::nullopt, "no route: Network is unreachable", mtu_source::route);
    CHECK(c.mtu == 1500);
    CHECK(c.warning);
    CHECK(c.note ==
          "collector 192.0.2.1:2056: mtu auto -> 1500 (cannot learn the route's MTU: no route: Network is unreachable)");
}

TEST_CASE("mtuConfiguredIsKeptTcpIsNotAsked", "[config][mtu]") {
    const auto fixed = collector("127.0.0.1", 2056, 1400);
    CHECK(pipeline::needs_path_mtu(fixed));
    auto c = choose_mtu(fixed, std::nullopt, "no route", mtu_source::route);
    CHECK(c.mtu == 1400);
    CHECK(c.note == "collector 127.0.0.1:2056: mtu 1400 (configured)");
    CHECK_FALSE(c.warning);
    c = choose_mtu(fixed, 65535, "", mtu_source::route);
    CHECK(c.mtu == 1400);
    CHECK(c.note == "collector 127.0.0.1:2056: mtu 1400 (configured)");
    CHECK_FALSE(c.warning);
    // Over the way's MTU: kept as configured, with a warning (the dpdk port here is at 1500).
    c = choose_mtu(collector("10.77.0.2", 2056, 9216), 1500, "", mtu_source::port);
    CHECK(c.mtu == 9216);
    CHECK(c.warning);
    CHECK(c.note == "collector 10.77.0.2:2056: mtu 9216 (configured), over the port's MTU 1500: larger datagrams may "
                    "be fragmented or dropped");
    auto tcp = collector("127.0.0.1", 4739);
    tcp.transport = config::collector_transport::tcp;
    CHECK_FALSE(pipeline::needs_path_mtu(tcp));
    c = choose_mtu(tcp, std::nullopt, "", mtu_source::route);
    CHECK(c.mtu == 1500);
    CHECK_FALSE(c.warning);
    CHECK(c.note == "collector 127.0.0.1:4739 (tcp): mtu auto -> 1500 (tcp: messages of that size as before; a "
                    "stream is not split at the MTU)");
}
