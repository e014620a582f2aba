#include "ipfix/stats/traffic_answers.hpp"

#include <charconv>

#include <fmt/format.h>

#include "ipfix/stats/traffic_renderers.hpp"

namespace ipfix::stats {
namespace {

http_response json_answer(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }
http_response json_error(int status, std::string_view message) {
    return json_answer(status, fmt::format("{{\"error\": \"{}\"}}\n", message));
}

// "10" -> 10; empty -> the default; anything else (or out of 1..max_top_n) -> nullopt.
std::optional<size_t> parse_n(std::string_view text) {
    if (text.empty()) return default_top_n;
    size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n < 1 || n > max_top_n) return std::nullopt;
    return n;
}

// The value of `key` in a query string ("n=10&x=1"); empty when absent.
std::string_view query_value(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=') {
            return pair.substr(key.size() + 1);
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
        if (std::tolower(x) != std::tolower(y)) return false;
    }
    return true;
}

std::optional<std::string_view> header(const http_request& r, std::string_view name) {
    for (const http_header& h : r.headers) {
        if (equals_ignoring_case(h.name, name)) return h.value;
    }
    return std::nullopt;
}

std::string reset_command(const command& c, const traffic_source& s) {
    if (s.token.empty()) return "error: reset is disabled: no general.stats_token is configured\n";
    if (c.args.empty()) return "error: reset needs the token: reset TOKEN\n";
    if (!token_matches(s.token, c.args)) return "error: wrong token, nothing reset\n";
    if (!s.reset) return "error: no traffic tallies to reset\n";
    s.reset();
    return "ok: reset the exporters, templates, top AS and talkers\n";
}

http_response reset_request(const http_request& r, const traffic_source& s) {
    if (r.method != "POST") return {405, "text/plain; charset=utf-8", "only POST resets\n", "POST"};
    if (s.token.empty()) return json_error(403, "reset is disabled: no general.stats_token is configured");
    const auto auth = header(r, "Authorization");
    if (!auth) return json_error(401, "reset needs the header Authorization: Bearer TOKEN");
    constexpr std::string_view bearer = "Bearer ";
    if (auth->size() <= bearer.size() || !equals_ignoring_case(auth->substr(0, bearer.size()), bearer)) {
        return json_error(401, "reset needs the header Authorization: Bearer TOKEN");
    }
    if (!token_matches(s.token, auth->substr(bearer.size()))) return json_error(403, "wrong token, nothing reset");
    if (!s.reset) return json_error(503, "no traffic tallies to reset");
    s.reset();
    return json_answer(200, "{\"reset\": true}\n");
}

}  // namespace

std::optional<std::string> answer_traffic_command(const command& c, const traffic_source& s) {
    const bool counted = c.kind == command_kind::as_stats || c.kind == command_kind::top;
    switch (c.kind) {
        case command_kind::exporters:
        case command_kind::templates:
        case command_kind::as_stats:
        case command_kind::top: break;
        case command_kind::reset: return reset_command(c, s);
        default: return std::nullopt;
    }
    std::optional<size_t> n = default_top_n;
    if (counted) {
        n = parse_n(c.args);
        if (!n) return fmt::format("error: {} takes a count from 1 to {}\n", command_name(c.kind), max_top_n);
    } else if (!c.args.empty()) {
        return fmt::format("error: {} takes no arguments\n", command_name(c.kind));
    }
    if (!s.read) return fmt::format("{}: not available (no pipeline)\n", command_name(c.kind));
    const pipeline::traffic_report r = s.read();
    switch (c.kind) {
        case command_kind::exporters: return render_exporters_table(r);
        case command_kind::templates: return render_templates_table(r);
        case command_kind::as_stats: return render_as_table(r, *n, s.as_name);
        default: return render_top_table(r, *n);
    }
}

std::optional<http_response> answer_traffic_request(const http_request& r, const traffic_source& s) {
    const std::string_view p = r.path;
    if (p == "/api/v1/reset") return reset_request(r, s);
    if (r.method == "POST") return http_response{405, "text/plain; charset=utf-8", "only GET and HEAD are served here\n", "GET, HEAD"};
    const bool listing = p == "/api/v1/exporters" || p == "/api/v1/templates";
    const bool counted = p == "/api/v1/as" || p == "/api/v1/top";
    if (!listing && !counted) return std::nullopt;
    std::optional<size_t> n = default_top_n;
    if (counted) {
        n = parse_n(query_value(r.query, "n"));
        if (!n) return json_error(400, fmt::format("n must be a count from 1 to {}", max_top_n));
    }
    if (!s.read) return json_error(503, "not available (no pipeline)");
    const pipeline::traffic_report t = s.read();
    if (p == "/api/v1/exporters") return json_answer(200, render_exporters_json(t));
    if (p == "/api/v1/templates") return json_answer(200, render_templates_json(t));
    if (p == "/api/v1/as") return json_answer(200, render_as_json(t, *n, s.as_name));
    return json_answer(200, render_top_json(t, *n));
}

std::string traffic_metrics(const traffic_source& s) {
    if (!s.read) return {};
    return render_exporter_metrics(s.read(), max_exporter_metrics);
}

}  // namespace ipfix::stats
