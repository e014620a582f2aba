// One stats-port connection as a state machine over bytes, without sockets: the first line
// decides the protocol (an HTTP request line: HTTP/1.x, one request, then close; anything else:
// the line protocol), input is bounded by the limits, and the answers come from a responder.
// The server only moves bytes; tests and the fuzzer drive a session directly.
#pragma once

#include <string>
#include <string_view>

#include "ipfix/stats/http_request.hpp"
#include "ipfix/stats/line_protocol.hpp"

namespace ipfix::stats {

struct http_response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::string allow;  // sent as an Allow header when not empty (405)
};

// Status line, Content-Type, Content-Length, Connection: close, the body unless `head_only`.
std::string serialize_response(const http_response& r, bool head_only);
std::string_view status_reason(int status);

// The answers: what each command and path shows. Never changes daemon state.
class responder {
public:
    virtual ~responder() = default;
    // A non-empty, non-quit command; the text ends with a line end.
    virtual std::string answer_command(const command& c) = 0;
    // A parsed GET or HEAD request.
    virtual http_response answer_request(const http_request& r) = 0;
};

struct session_limits {
    size_t max_line = 4096;  // line protocol, and the first line before the protocol is known
    http_limits http;
};

enum class session_protocol : unsigned char { undecided, line, http };

class session {
public:
    session(responder& answers, const session_limits& limits) : answers_(answers), limits_(limits) {}

    // Takes what the client sent; appends the reply to `out`. Input after closing() is ignored.
    // Holds at most the limits plus one `data` of unprocessed input.
    void feed(std::string_view data, std::string& out);
    // The connection is to be closed once `out` has been sent.
    bool closing() const { return closing_; }
    session_protocol protocol() const { return protocol_; }
    // The farewell when the server cuts the connection for idleness (empty for HTTP).
    std::string idle_message() const;

private:
    void run(std::string& out);
    void run_line(std::string& out);
    void run_http(std::string& out);

    responder& answers_;
    session_limits limits_;
    std::string in_;
    session_protocol protocol_ = session_protocol::undecided;
    bool closing_ = false;
};

}  // namespace ipfix::stats
