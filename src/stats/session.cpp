#include "ipfix/stats/session.hpp"

#include <fmt/format.h>

namespace ipfix::stats {
namespace {

// A client's word echoed in an error: printable ASCII only, and short.
std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 40)) out += (c >= ' ' && c <= '~') ? c : '?';
    if (s.size() > 40) out += "...";
    return out;
}

}  // namespace

std::string_view status_reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Error";
    }
}

std::string serialize_response(const http_response& r, bool head_only) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                                  r.status, status_reason(r.status), r.content_type, r.body.size());
    if (!r.allow.empty()) out += fmt::format("Allow: {}\r\n", r.allow);
    out += "\r\n";
    if (!head_only) out += r.body;
    return out;
}

std::string serialize_stream_head(const http_response& r, bool chunked) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nCache-Control: no-cache\r\n", r.status,
                                  status_reason(r.status), r.content_type);
    if (chunked) out += "Transfer-Encoding: chunked\r\n";
    out += "Connection: close\r\n\r\n";
    return out;
}

bool session::pull_stream(std::string& out) {
    if (!stream_) return false;
    frame_.clear();
    if (!stream_->take(frame_) || frame_.empty()) return false;
    if (chunked_) fmt::format_to(std::back_inserter(out), "{:x}\r\n", frame_.size());
    out += frame_;
    if (chunked_) out += "\r\n";
    return true;
}

void session::feed(std::string_view data, std::string& out) {
    if (closing_ || stream_) return;
    in_.append(data);
    run(out);
}

std::string session::idle_message() const {
    if (protocol_ == session_protocol::http) return {};
    return "error: idle timeout, closing\n";
}

void session::run(std::string& out) {
    if (protocol_ == session_protocol::undecided) {
        const line_scan first = scan_line(in_, limits_.max_line);
        if (first.status == line_status::incomplete) return;
        if (first.status == line_status::too_long) {
            closing_ = true;
            if (starts_like_http(std::string_view(in_).substr(0, limits_.max_line + 1))) {
                out += serialize_response({414, "text/plain; charset=utf-8", "request line too long\n", {}}, false);
            } else {
                out += fmt::format("error: line longer than {} bytes, closing\n", limits_.max_line);
            }
            in_.clear();
            return;
        }
        protocol_ = is_http_request_line(first.line) ? session_protocol::http : session_protocol::line;
    }
    if (protocol_ == session_protocol::line) run_line(out);
    else run_http(out);
}

void session::run_line(std::string& out) {
    size_t at = 0;
    while (!closing_) {
        const line_scan s = scan_line(std::string_view(in_).substr(at), limits_.max_line);
        if (s.status == line_status::incomplete) break;
        if (s.status == line_status::too_long) {
            out += fmt::format("error: line longer than {} bytes, closing\n", limits_.max_line);
            closing_ = true;
            break;
        }
        at += s.consumed;
        const command c = parse_command(s.line);
        switch (c.kind) {
            case command_kind::empty: break;
            case command_kind::quit:
                out += "bye\n";
                closing_ = true;
                break;
            case command_kind::unknown:
                out += fmt::format("error: unknown command '{}' (try help)\n", printable(c.name));
                break;
            default: out += answers_.answer_command(c); break;
        }
    }
    if (closing_) in_.clear();
    else in_.erase(0, at);
}

void session::run_http(std::string& out) {
    const http_parse_result r = parse_http_request(in_, limits_.http);
    if (r.status == http_parse_status::incomplete) return;
    closing_ = true;
    if (r.status == http_parse_status::error) {
        out += serialize_response({r.error_status, "text/plain; charset=utf-8", std::string(r.error_text) + "\n", {}},
                                  false);
    } else if (r.request.method != "GET" && r.request.method != "HEAD" &&
               !(r.request.method == "POST" && answers_.takes_post(r.request.path))) {
        out += serialize_response({405, "text/plain; charset=utf-8", "only GET and HEAD are served\n", "GET, HEAD"},
                                  false);
    } else {
        http_response answer = answers_.answer_request(r.request);
        if (answer.stream && r.request.method == "GET") {
            chunked_ = r.request.version_minor >= 1;
            out += serialize_stream_head(answer, chunked_);
            stream_ = std::move(answer.stream);
            closing_ = false;
        } else {
            answer.stream.reset();  // HEAD: the head alone, and no subscription left behind
            out += serialize_response(answer, r.request.method == "HEAD");
        }
    }
    in_.clear();
}

}  // namespace ipfix::stats
