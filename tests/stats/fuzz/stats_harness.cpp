#include "stats_harness.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

#include "ipfix/stats/http_request.hpp"
#include "ipfix/stats/line_protocol.hpp"
#include "ipfix/stats/session.hpp"
#include "ipfix/stats/tail_filter.hpp"

namespace ipfix::fuzz {
namespace {

using namespace ipfix::stats;

void require(bool ok) {
    if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

class fixed_responder : public responder {
public:
    std::string answer_command(const command& c) override {
        require(c.kind != command_kind::empty && c.kind != command_kind::quit && c.kind != command_kind::unknown);
        return "ok\n";
    }
    http_response answer_request(const http_request& r) override {
        require(r.method == "GET" || r.method == "HEAD");
        require(!r.path.empty() && r.path.front() == '/');
        return {200, "text/plain", "ok\n", {}};
    }
};

void check_lines(std::string_view data, size_t max) {
    std::string_view rest = data;
    while (!rest.empty()) {
        const line_scan s = scan_line(rest, max);
        if (s.status != line_status::complete) break;
        require(s.consumed > 0 && s.consumed <= rest.size());
        require(s.line.size() <= max && inside(s.line, rest));
        require(s.line.find('\n') == std::string_view::npos);
        const command c = parse_command(s.line);
        require(inside(c.name, s.line) && inside(c.args, s.line));
        require((c.kind == command_kind::empty) == c.name.empty());
        rest.remove_prefix(s.consumed);
    }
}

void check_http(std::string_view data, const http_limits& limits) {
    const http_parse_result r = parse_http_request(data, limits);
    switch (r.status) {
        case http_parse_status::incomplete: break;
        case http_parse_status::error:
            require(r.error_status == 400 || r.error_status == 414 || r.error_status == 431 || r.error_status == 505);
            require(!r.error_text.empty());
            break;
        case http_parse_status::complete:
            require(r.consumed > 0 && r.consumed <= data.size());
            require(r.request.headers.size() <= limits.max_headers);
            require(inside(r.request.method, data) && inside(r.request.target, data));
            require(r.request.target.starts_with(r.request.path) && r.request.path.front() == '/');
            require(r.request.version_minor >= 0 && r.request.version_minor <= 9);
            for (const auto& h : r.request.headers) require(!h.name.empty() && inside(h.name, data) && inside(h.value, data));
            break;
    }
}

// Two records on either side of most conditions, so matches() walks every branch.
pipeline::flow_summary sample(bool v6) {
    pipeline::flow_summary s;
    const uint8_t a4[4] = {192, 0, 2, 7}, b4[4] = {10, 1, 2, 3}, e4[4] = {127, 0, 0, 1};
    const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    s.exporter = proto::ip_address::v4(e4);
    s.exporter_port = 4739;
    s.source = v6 ? proto::ip_address::v6(a6) : proto::ip_address::v4(a4);
    if (!v6) s.destination = proto::ip_address::v4(b4);  // v6: destination absent (family 0)
    s.source_port = 443;
    s.destination_port = 51000;
    s.protocol = v6 ? 58 : 6;
    s.source_as = 64500;
    s.destination_as = v6 ? 0 : 15169;
    return s;
}

void check_prefix(const ip_prefix& p) {
    require(p.network.family == 4 || p.network.family == 6);
    require(p.length <= (p.network.family == 4 ? 32 : 128));
    require(p.contains(p.network));  // host bits are cleared, so the network is inside
}

// The tail query parser over the input as a query string, and over the query of a request
// line: a filter or a printable reason, and the value parsers agree with their contracts.
void check_tail(std::string_view data) {
    std::string_view query = data.substr(0, data.find_first_of(" \r\n"));
    if (const size_t q = query.find('?'); q != std::string_view::npos) query.remove_prefix(q + 1);
    for (const std::string_view text : {data, query}) {
        const tail_query t = parse_tail_query(text);
        require(t.filter.has_value() != !t.error.empty());
        if (!t.filter) continue;
        if (t.filter->prefix) check_prefix(*t.filter->prefix);
        require(!t.filter->exporter_port || t.filter->exporter);
        for (const bool v6 : {false, true}) (void)t.filter->matches(sample(v6));
        require(tail_filter{}.matches(sample(false)));  // no condition: everything
    }
    if (const auto p = parse_prefix(query)) check_prefix(*p);
    (void)parse_protocol(query);
    if (const auto e = parse_exporter(query)) require(!e->first.empty());
}

}  // namespace

void run_stats_harness(std::span<const uint8_t> input) {
    const std::string_view data(reinterpret_cast<const char*>(input.data()), input.size());
    check_lines(data, 4096);
    check_lines(data, 8);
    check_http(data, {});
    check_http(data, {24, 48, 3});
    check_tail(data);

    // A session fed in pieces whose sizes come from the first byte: the answers never depend on
    // how the bytes were split... except that input after closing is ignored either way.
    fixed_responder answers;
    const size_t piece = input.empty() ? 1 : 1 + input[0] % 17;
    const session_limits limits{64, {64, 128, 4}};
    session whole(answers, limits), split(answers, limits);
    std::string out_whole, out_split;
    whole.feed(data, out_whole);
    for (size_t at = 0; at < data.size(); at += piece) split.feed(data.substr(at, piece), out_split);
    require(whole.closing() == split.closing());
    require(out_whole == out_split);
}

}  // namespace ipfix::fuzz
