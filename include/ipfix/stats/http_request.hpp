// HTTP/1.x request heads as the stats port reads them: a plain function over the bytes a client
// sent so far, with limits, so a partial, huge or broken request is decided without I/O. Bodies
// are never read (the port answers GET and HEAD and closes).
//
//   auto r = ipfix::stats::parse_http_request(buffer);
//   if (r.status == http_parse_status::complete) route(r.request.path);
//   else if (r.status == http_parse_status::error) answer(r.error_status);  // 400, 414, 431, 505
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ipfix::stats {

struct http_limits {
    size_t max_request_line = 4096;  // over it: 414
    size_t max_header_bytes = 8192;  // all header lines with their line ends: over it, 431
    size_t max_headers = 64;         // over it: 431
};

struct http_header {
    std::string_view name;   // as sent (compare case-insensitively)
    std::string_view value;  // leading and trailing blanks removed
};

struct http_request {
    std::string_view method;
    std::string_view target;  // as sent: origin-form, path and query
    std::string_view path;    // target up to '?'
    std::string_view query;   // after '?', may be empty
    int version_minor = 1;    // HTTP/1.<minor>
    std::vector<http_header> headers;
};

enum class http_parse_status : unsigned char { incomplete, complete, error };

struct http_parse_result {
    http_parse_status status = http_parse_status::incomplete;
    int error_status = 0;         // with error: the HTTP status to answer
    std::string_view error_text;  // with error: why, for the response body
    size_t consumed = 0;          // with complete: bytes of the head, blank line included
    http_request request;         // with complete: views into the buffer
};

// Lines end in CR LF or a bare LF. Ends at the blank line after the headers.
http_parse_result parse_http_request(std::string_view buffer, const http_limits& limits = {});

// Whether a complete first line is an HTTP request line ("METHOD SP target SP HTTP/..."): what
// decides between HTTP and the line protocol on the shared port.
bool is_http_request_line(std::string_view line);

// Whether the start of a first line (its end not seen yet) is "METHOD SP": decides what an
// over-long first line gets (414, or the line protocol's error).
bool starts_like_http(std::string_view partial_line);

}  // namespace ipfix::stats
