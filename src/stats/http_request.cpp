#include "ipfix/stats/http_request.hpp"

namespace ipfix::stats {
namespace {

constexpr size_t max_method = 16;

// RFC 9110 tchar.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
        case '^': case '_': case '`': case '|': case '~':
            return true;
        default:
            return false;
    }
}

bool is_method(std::string_view m) {
    if (m.empty() || m.size() > max_method) return false;
    for (char c : m) {
        if (c < 'A' || c > 'Z') return false;
    }
    return true;
}

// Visible ASCII only: no spaces, controls or bytes over 0x7e in a request target.
bool is_target(std::string_view t) {
    if (t.empty()) return false;
    for (char c : t) {
        if (c <= ' ' || c > '~') return false;
    }
    return true;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// Field values may hold blanks and visible bytes (obs-text included), never controls.
bool is_field_value(std::string_view v) {
    for (char c : v) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
    }
    return true;
}

http_parse_result fail(int status, std::string_view why) {
    http_parse_result r;
    r.status = http_parse_status::error;
    r.error_status = status;
    r.error_text = why;
    return r;
}

struct line_at {
    bool found = false;
    std::string_view line;  // without CR LF / LF
    size_t next = 0;        // offset after the line end
};

line_at next_line(std::string_view buffer, size_t from) {
    const size_t lf = buffer.find('\n', from);
    if (lf == std::string_view::npos) return {};
    std::string_view line = buffer.substr(from, lf - from);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return {true, line, lf + 1};
}

}  // namespace

bool is_http_request_line(std::string_view line) {
    const size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || !is_method(line.substr(0, sp1))) return false;
    const size_t sp2 = line.rfind(' ');
    if (sp2 == sp1) return false;
    return line.substr(sp2 + 1).starts_with("HTTP/");
}

bool starts_like_http(std::string_view partial_line) {
    const size_t sp = partial_line.find(' ');
    return sp != std::string_view::npos && is_method(partial_line.substr(0, sp));
}

http_parse_result parse_http_request(std::string_view buffer, const http_limits& limits) {
    const line_at first = next_line(buffer, 0);
    if (!first.found) {
        std::string_view partial = buffer;
        if (!partial.empty() && partial.back() == '\r') partial.remove_suffix(1);
        if (partial.size() > limits.max_request_line) return fail(414, "request line too long");
        return {};
    }
    const std::string_view line = first.line;
    if (line.size() > limits.max_request_line) return fail(414, "request line too long");

    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return fail(400, "malformed request line");
    }
    http_request req;
    req.method = line.substr(0, sp1);
    req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_method(req.method) || !is_target(req.target)) return fail(400, "malformed request line");
    if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9') {
        return fail(400, "malformed HTTP version");
    }
    if (version[5] != '1') return fail(505, "only HTTP/1.x is served");
    req.version_minor = version[7] - '0';
    if (req.target.front() != '/') return fail(400, "request target must be a path");
    const size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string_view::npos ? std::string_view{} : req.target.substr(q + 1);

    size_t at = first.next;
    for (;;) {
        const line_at h = next_line(buffer, at);
        if (!h.found) {
            if (buffer.size() - first.next > limits.max_header_bytes) return fail(431, "request headers too large");
            return {};
        }
        if (h.next - first.next > limits.max_header_bytes) return fail(431, "request headers too large");
        at = h.next;
        if (h.line.empty()) break;
        if (req.headers.size() == limits.max_headers) return fail(431, "too many request headers");
        if (is_blank(h.line.front())) return fail(400, "folded header lines are not accepted");
        const size_t colon = h.line.find(':');
        if (colon == std::string_view::npos || colon == 0) return fail(400, "malformed header line");
        const std::string_view name = h.line.substr(0, colon);
        for (char c : name) {
            if (!is_tchar(c)) return fail(400, "malformed header name");
        }
        const std::string_view value = trim(h.line.substr(colon + 1));
        if (!is_field_value(value)) return fail(400, "malformed header value");
        req.headers.push_back({name, value});
    }
    http_parse_result r;
    r.status = http_parse_status::complete;
    r.consumed = at;
    r.request = std::move(req);
    return r;
}

}  // namespace ipfix::stats
