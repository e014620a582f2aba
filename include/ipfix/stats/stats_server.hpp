// The stats port: one listening TCP socket served by its own thread (poll, non-blocking
// sockets), beside the daemon's control thread and never on the workers. Each connection is a
// session (session.hpp): telnet line protocol or HTTP/1.x on the same port. Bounded: a
// connection limit (the extra client is told and closed), an idle timeout, line and header
// limits, and a client that does not read its answers is not read from until it does; one slow
// client never holds up the others.
//
//   stats_server server(options, source);
//   if (!server.open(error)) fail(error);   // binds and listens; server.port() is the bound port
//   server.start();  ...  server.stop();
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "ipfix/stats/session.hpp"
#include "ipfix/stats/stats_responder.hpp"
#include "ipfix/stats/tail_hub.hpp"

namespace ipfix::stats {

struct stats_server_options {
    std::string address = "127.0.0.1";
    uint16_t port = 9999;  // 0: the kernel picks one (see port())
    size_t max_connections = 16;
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds rate_interval{std::chrono::seconds(5)};
    session_limits limits;
    size_t max_pending_output = 1 << 20;  // a client's unread answers before we stop reading it
    size_t tail_buffer_bytes = 1 << 20;  // a tail client's lines waiting in the hub (then drops)
};

class stats_server {
public:
    stats_server(stats_server_options options, stats_source source);
    ~stats_server();
    stats_server(const stats_server&) = delete;
    stats_server& operator=(const stats_server&) = delete;

    // Binds and listens. False with `error` (address, port and the system's reason).
    bool open(std::string& error);
    // The bound port (the kernel's pick for port 0); valid after open().
    uint16_t port() const { return port_; }
    // Serves on a new thread until stop(). Call once, after open() succeeded.
    void start();
    // Closes every connection and joins the thread; safe to call twice or without start().
    void stop();
    // The tail stream's hub (max_connections - 1 clients at most): the control thread feeds it.
    tail_hub& tail() { return tail_; }
    // Serves since= on the tail from the retention store. Before start().
    void serve_history(tail_history history);
    // Answers exporters, templates, as_stats, top and reset from `t`. Before start().
    void serve_traffic(traffic_source t) { responder_.serve_traffic(std::move(t)); }

private:
    struct connection;
    void run();

    stats_server_options options_;
    stats_responder responder_;
    tail_hub tail_;
    int listen_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: stop() wakes the poll
    uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace ipfix::stats
