// One stats-port connection as a state machine over bytes, without sockets: the first line
// decides the protocol (an HTTP request line: HTTP/1.x, one request, then close; anything else:
// the line protocol), input is bounded by the limits, and the answers come from a responder.
// The server only moves bytes; tests and the fuzzer drive a session directly.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ipfix/stats/http_request.hpp"
#include "ipfix/stats/line_protocol.hpp"

namespace ipfix::stats {

// A body that goes on after the head (the tail stream): the server pulls from it while the
// client reads, until the client goes away.
class response_stream {
public:
    virtual ~response_stream() = default;
    // Appends what is waiting to `out`; false when nothing was.
    virtual bool take(std::string& out) = 0;
};

struct http_response {
    http_response() = default;
    // Not an aggregate, so the brace form {status, type, body, allow} leaves `stream` out freely.
    http_response(int s, std::string type, std::string text, std::string allowed = {})
        : status(s), content_type(std::move(type)), body(std::move(text)), allow(std::move(allowed)) {}

    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::string allow;  // sent as an Allow header when not empty (405)
    std::shared_ptr<response_stream> stream;  // set (GET): the stream is the body, no length
};

// Status line, Content-Type, Content-Length, Connection: close, the body unless `head_only`.
std::string serialize_response(const http_response& r, bool head_only);
// The head of a streamed response: chunked for HTTP/1.1, delimited by the close for HTTP/1.0.
std::string serialize_stream_head(const http_response& r, bool chunked);
std::string_view status_reason(int status);

// The answers: what each command and path shows. Changes no daemon state, except `reset` with
// its token (traffic_answers.hpp).
class responder {
public:
    virtual ~responder() = default;
    // A non-empty, non-quit command; the text ends with a line end.
    virtual std::string answer_command(const command& c) = 0;
    // A parsed GET or HEAD request, or a POST to a path that takes_post().
    virtual http_response answer_request(const http_request& r) = 0;
    // Paths that take POST (state changes, each checking its own authorisation); others get 405.
    virtual bool takes_post(std::string_view /*path*/) const { return false; }
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
    // Answering with a stream: open until the client goes away, its input ignored, no idle
    // timeout.
    bool streaming() const { return stream_ != nullptr; }
    // Appends what the stream has waiting to `out`, framed; false when nothing was.
    bool pull_stream(std::string& out);

private:
    void run(std::string& out);
    void run_line(std::string& out);
    void run_http(std::string& out);

    responder& answers_;
    session_limits limits_;
    std::string in_;
    session_protocol protocol_ = session_protocol::undecided;
    bool closing_ = false;
    std::shared_ptr<response_stream> stream_;
    bool chunked_ = false;
    std::string frame_;  // reused for pull_stream
};

}  // namespace ipfix::stats
