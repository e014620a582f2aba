// One HTTP GET to the daemon's stats port over a plain TCP socket (the port answers and closes):
// every step bounded by the timeout, every failure a message, never an exception.
//
//   auto r = ipfix::tools::http_get("127.0.0.1", 9999, "/api/v1/stats", std::chrono::seconds(2));
//   if (!r.error.empty()) show(r.error); else if (r.status == 200) parse(r.body);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipfix::tools {

struct http_result {
    std::string error;  // non-empty: no answer (connect refused, timeout, broken reply)
    int status = 0;     // the HTTP status when answered
    std::string body;
};

http_result http_get(const std::string& host, uint16_t port, std::string_view path, std::chrono::milliseconds timeout);

// "HOST:PORT", "[V6]:PORT", "HOST" (default port) or ":PORT" (default host); false when malformed.
struct endpoint {
    std::string host = "127.0.0.1";
    uint16_t port = 9999;
    std::string text() const;
};
bool parse_endpoint(std::string_view s, endpoint& out);

}  // namespace ipfix::tools
