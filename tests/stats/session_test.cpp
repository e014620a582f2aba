#include "ipfix/stats/session.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ipfix::stats;

namespace {

// Answers that name what was asked, so the tests see the routing.
class echo_responder : public responder {
public:
    std::string answer_command(const command& c) override { return "answer " + std::string(c.name) + "\n"; }
    http_response answer_request(const http_request& r) override {
        return {200, "text/plain", "path " + std::string(r.path) + "\n", {}};
    }
};

std::string feed_all(session& s, std::string_view input, size_t chunk = 1 << 20) {
    std::string out;
    for (size_t at = 0; at < input.size(); at += chunk) s.feed(input.substr(at, chunk), out);
    return out;
}

}  // namespace

TEST_CASE("sessionLineProtocolCommands", "[stats][session]") {
    echo_responder r;
    session s(r, {});
    CHECK(feed_all(s, "stats\r\n\r\nhelp\nbogus thing\n") ==
          "answer stats\nanswer help\nerror: unknown command 'bogus' (try help)\n");
    CHECK(s.protocol() == session_protocol::line);
    CHECK_FALSE(s.closing());
    CHECK(s.idle_message() == "error: idle timeout, closing\n");
    CHECK(feed_all(s, "quit\nstats\n") == "bye\n");
    CHECK(s.closing());
    CHECK(feed_all(s, "stats\n").empty());  // nothing after quit
}

TEST_CASE("sessionByteByByte", "[stats][session]") {
    echo_responder r;
    session s(r, {});
    CHECK(feed_all(s, "collectors\r\nexporters\n", 1) == "answer collectors\nanswer exporters\n");
    session h(r, {});
    CHECK(feed_all(h, "GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n", 1) ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\n"
          "path /api/v1/stats\n");
    CHECK(h.protocol() == session_protocol::http);
    CHECK(h.closing());
    CHECK(h.idle_message().empty());
}

TEST_CASE("sessionHttpMethodsAndErrors", "[stats][session]") {
    echo_responder r;
    {
        session s(r, {});
        CHECK(feed_all(s, "HEAD /metrics HTTP/1.0\r\n\r\n") ==
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\n");
    }
    {
        session s(r, {});
        CHECK(feed_all(s, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") ==
              "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 29\r\n"
              "Connection: close\r\nAllow: GET, HEAD\r\n\r\nonly GET and HEAD are served\n");
    }
    {
        session s(r, {});
        CHECK(feed_all(s, "GET / HTTP/1.1\r\nbad header\r\n\r\n") ==
              "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n"
              "Connection: close\r\n\r\nmalformed header line\n");
    }
}

TEST_CASE("sessionOverLongLinesCloseWithoutBufferingThem", "[stats][session]") {
    echo_responder r;
    const session_limits limits{64, {64, 128, 8}};
    {
        session s(r, limits);
        std::string out;
        // 1 MiB in 4 KiB reads, as the server feeds it: the error comes with the first read.
        const std::string chunk(4096, 'x');
        s.feed(chunk, out);
        CHECK(out == "error: line longer than 64 bytes, closing\n");
        CHECK(s.closing());
        for (int i = 1; i < 256; ++i) s.feed(chunk, out);
        CHECK(out == "error: line longer than 64 bytes, closing\n");
    }
    {
        session s(r, limits);
        // A good command first, then an over-long line.
        CHECK(feed_all(s, "help\n" + std::string(100, 'y') + "\nstats\n") ==
              "answer help\nerror: line longer than 64 bytes, closing\n");
        CHECK(s.closing());
    }
    {
        session s(r, limits);
        CHECK(feed_all(s, "GET /" + std::string(200, 'a')) ==
              "HTTP/1.1 414 URI Too Long\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n"
              "Connection: close\r\n\r\nrequest line too long\n");
    }
    {
        session s(r, limits);
        const std::string out = feed_all(s, "GET / HTTP/1.1\r\nX: " + std::string(200, 'h'), 16);
        CHECK(out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        CHECK(s.closing());
    }
}

TEST_CASE("sessionFirstLineWithoutHttpVersionIsALineCommand", "[stats][session]") {
    echo_responder r;
    session s(r, {});
    CHECK(feed_all(s, "GET /metrics\n") == "error: unknown command 'GET' (try help)\n");
    CHECK(s.protocol() == session_protocol::line);
    CHECK(feed_all(s, "\xff\xfb\x01stats\n") == "error: unknown command '???stats' (try help)\n");
}

namespace {

class counting_stream : public response_stream {
public:
    bool take(std::string& out) override {
        if (waiting.empty()) return false;
        out += waiting;
        waiting.clear();
        return true;
    }
    std::string waiting;
};

class stream_responder : public responder {
public:
    std::string answer_command(const command&) override { return "x\n"; }
    http_response answer_request(const http_request&) override {
        http_response r{200, "application/x-ndjson", {}};
        r.stream = stream;
        return r;
    }
    std::shared_ptr<counting_stream> stream = std::make_shared<counting_stream>();
};

}  // namespace

TEST_CASE("sessionStreamsChunked", "[stats][session][tail]") {
    stream_responder r;
    session s(r, {});
    CHECK(feed_all(s, "GET /api/v1/tail HTTP/1.1\r\nHost: x\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nCache-Control: no-cache\r\n"
          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    CHECK(s.streaming());
    CHECK_FALSE(s.closing());
    std::string out;
    CHECK_FALSE(s.pull_stream(out));
    r.stream->waiting = "{\"a\":1}\n{\"b\":2}\n";
    CHECK(s.pull_stream(out));
    CHECK(out == "10\r\n{\"a\":1}\n{\"b\":2}\n\r\n");
    CHECK(feed_all(s, "GET / HTTP/1.1\r\n\r\n").empty());  // input while streaming is ignored
}

TEST_CASE("sessionStreamsHttp10UntilClose", "[stats][session][tail]") {
    stream_responder r;
    session s(r, {});
    CHECK(feed_all(s, "GET /api/v1/tail HTTP/1.0\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");
    r.stream->waiting = "{}\n";
    std::string out;
    CHECK(s.pull_stream(out));
    CHECK(out == "{}\n");
}

TEST_CASE("sessionHeadOfAStreamIsTheHeadAlone", "[stats][session][tail]") {
    stream_responder r;
    session s(r, {});
    CHECK(feed_all(s, "HEAD /api/v1/tail HTTP/1.1\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    CHECK_FALSE(s.streaming());
    CHECK(s.closing());
    CHECK(r.stream.use_count() == 1);  // the session kept no reference
}
