#include "ipfix/stats/tail_hub.hpp"

#include <poll.h>

#include <catch2/catch.hpp>
#include <vector>

#include "ipfix/stats/tail_endpoint.hpp"
#include "ipfix/stats/tail_json.hpp"

using namespace ipfix;
using namespace ipfix::stats;

namespace {

pipeline::flow_summary record(uint16_t port, uint64_t seen_ms = 1000) {
    pipeline::flow_summary s;
    s.seen_ms = seen_ms;
    s.exporter = *proto::ip_address::parse("127.0.0.1");
    s.exporter_port = 4739;
    s.source = *proto::ip_address::parse("10.0.0.1");
    s.destination = *proto::ip_address::parse("10.0.0.2");
    s.destination_port = port;
    s.protocol = 17;
    return s;
}

std::string line(const pipeline::flow_summary& s) {
    std::string out;
    append_tail_json(s, out);
    return out;
}

tail_filter filter(std::string_view q) { return *parse_tail_query(q).filter; }

bool woken(const tail_hub& hub) {
    pollfd p{hub.wake_fd(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

}  // namespace

TEST_CASE("tailHubFansOutByFilter", "[stats][tail]") {
    tail_hub hub({4, 1 << 20});
    CHECK_FALSE(hub.wants());
    auto all = hub.subscribe(filter(""));
    auto dns = hub.subscribe(filter("port=53"));
    CHECK(hub.wants());
    const std::vector<pipeline::flow_summary> batch{record(53), record(80), record(53, 2000)};
    CHECK_FALSE(woken(hub));
    hub.take(batch);
    CHECK(woken(hub));
    hub.clear_wake();
    CHECK_FALSE(woken(hub));
    std::string out;
    CHECK(all->take(out));
    CHECK(out == line(batch[0]) + line(batch[1]) + line(batch[2]));
    out.clear();
    CHECK(dns->take(out));
    CHECK(out == line(batch[0]) + line(batch[2]));
    out.clear();
    CHECK_FALSE(dns->take(out));
    CHECK(out.empty());
    hub.take(std::vector{record(80)});
    CHECK_FALSE(dns->take(out));  // nothing for it
    all.reset();
    dns.reset();
    CHECK_FALSE(hub.wants());
}

TEST_CASE("tailHubLimitsClients", "[stats][tail]") {
    tail_hub hub({2, 1 << 20});
    auto a = hub.subscribe({});
    auto b = hub.subscribe({});
    CHECK(hub.full());
    CHECK(hub.subscribe({}) == nullptr);
    b.reset();
    CHECK_FALSE(hub.full());
    CHECK(hub.subscribe({}) != nullptr);
}

TEST_CASE("tailHubSlowClientDropsCountedAndTold", "[stats][tail]") {
    const std::string one = line(record(53));
    // Room for exactly three lines per client.
    tail_hub hub({4, one.size() * 3});
    auto slow = hub.subscribe({});
    auto fast = hub.subscribe({});
    std::string out;
    for (int i = 0; i < 5; ++i) {
        hub.take(std::vector{record(53)});
        out.clear();
        CHECK(fast->take(out));
        CHECK(out == one);  // the reader loses nothing
    }
    CHECK(slow->dropped() == 2);
    CHECK(fast->dropped() == 0);
    out.clear();
    CHECK(slow->take(out));
    CHECK(out == "{\"dropped\":2}\n" + one + one + one);
    hub.take(std::vector{record(53)});
    out.clear();
    CHECK(slow->take(out));
    CHECK(out == one);  // told once
    CHECK(slow->dropped() == 2);
}

TEST_CASE("tailEndpointAnswers", "[stats][tail]") {
    tail_hub hub({1, 1 << 20});
    {
        const http_response r = answer_tail("as=x", &hub, {}, 5000);
        CHECK(r.status == 400);
        CHECK(r.body == "{\"error\":\"as='x': expected an AS number 0-4294967295\"}\n");
        CHECK(r.stream == nullptr);
        CHECK_FALSE(hub.wants());
    }
    {
        const http_response r = answer_tail("since=60", &hub, {}, 5000);
        CHECK(r.status == 400);
        CHECK(r.body.find("since= needs the retention store") != std::string::npos);
    }
    CHECK(answer_tail("", nullptr, {}, 5000).status == 503);
    {
        http_response r = answer_tail("port=53", &hub, {}, 5000);
        CHECK(r.status == 200);
        CHECK(r.content_type == "application/x-ndjson");
        REQUIRE(r.stream != nullptr);
        CHECK(hub.wants());
        const http_response second = answer_tail("", &hub, {}, 5000);
        CHECK(second.status == 503);
        CHECK(second.body == "{\"error\":\"too many tail clients (limit 1)\"}\n");
        r.stream.reset();
        CHECK_FALSE(hub.wants());
    }
}

TEST_CASE("tailEndpointHistoryFirst", "[stats][tail]") {
    tail_hub hub({2, 1 << 20});
    uint64_t asked_from = 0;
    const std::vector<pipeline::flow_summary> stored{record(53, 1000), record(80, 2000), record(53, 3000),
                                                     record(53, 5000)};
    const tail_history history = [&](uint64_t from_ms, const record_predicate& match, const record_predicate& emit) {
        asked_from = from_ms;
        for (const auto& s : stored) {
            if (s.seen_ms >= from_ms && match(s) && !emit(s)) return;
        }
    };
    http_response r = answer_tail("port=53&since=3", &hub, history, 5000);
    REQUIRE(r.stream != nullptr);
    CHECK(asked_from == 2000);
    hub.take(std::vector{record(53, 5001)});
    std::string out;
    CHECK(r.stream->take(out));
    // 1000 is too old, 2000 is port 80, 5000 is not before the subscription (live has it).
    CHECK(out == line(stored[2]) + line(record(53, 5001)));
}
