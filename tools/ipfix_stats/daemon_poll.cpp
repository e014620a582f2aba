#include "daemon_poll.hpp"

#include <stdexcept>

namespace ipfix::tools {
namespace {

template <class T, class Parse>
fetched<T> fetch(const endpoint& where, const std::string& path, const poll_options& o, Parse parse,
                 std::string* unreachable) {
    fetched<T> f;
    const http_result r = http_get(where.host, where.port, path, o.timeout);
    if (!r.error.empty()) {
        if (unreachable != nullptr) *unreachable = r.error;
        f.missing = r.error;
    } else if (r.status != 200) {
        f.missing = "HTTP " + std::to_string(r.status);
    } else {
        try {
            f.value = parse(r.body);
        } catch (const std::exception& e) {
            f.missing = std::string("bad answer: ") + e.what();
        }
    }
    return f;
}

}  // namespace

daemon_poll poll_daemon(const endpoint& where, const poll_options& o) {
    daemon_poll p;
    p.at_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    p.wall_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    std::string unreachable;
    p.stats = fetch<daemon_stats>(where, "/api/v1/stats", o, parse_stats, &unreachable);
    p.reachable = unreachable.empty();
    p.error = unreachable;
    if (!p.reachable || !o.details) return p;
    const std::string n = std::to_string(o.top_n);
    p.as = fetch<as_stats>(where, "/api/v1/as?n=" + n, o, parse_as, nullptr);
    p.top = fetch<std::vector<talker>>(where, "/api/v1/top?n=" + n, o, parse_top, nullptr);
    p.exporters = fetch<std::vector<exporter_stats>>(where, "/api/v1/exporters", o, parse_exporters, nullptr);
    return p;
}

}  // namespace ipfix::tools
