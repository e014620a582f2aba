// Follows a streamed GET on the daemon's stats port (GET /api/v1/tail) over a plain TCP socket:
// HTTP/1.0, so the body is the stream itself until the daemon closes it. Connecting and the
// answer's head are bounded by a timeout; the stream then waits as long as it takes.
//
//   auto r = follow_lines("127.0.0.1", 9999, "/api/v1/tail?as=64500", 5s,
//                         [](std::string_view line) { show(line); return true; });
//   if (!r.error.empty()) fail(r.error);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ipfix::tail {

struct stream_result {
    std::string error;  // non-empty: not connected, or the daemon refused (its reason included)
    int status = 0;     // the HTTP status when answered
    bool refused = false;  // answered with an error status (a bad filter: 400)
};

// Calls `on_line` for each line of the body (without the line end); it returns false to stop.
stream_result follow_lines(const std::string& host, uint16_t port, std::string_view target,
                           std::chrono::milliseconds timeout, const std::function<bool(std::string_view)>& on_line);

// The query string of the filters, each value percent-encoded where a URL needs it.
std::string query_part(std::string_view key, std::string_view value);

}  // namespace ipfix::tail
