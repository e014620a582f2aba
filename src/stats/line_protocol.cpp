#include "ipfix/stats/line_protocol.hpp"

#include <array>
#include <utility>

namespace ipfix::stats {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

bool equals_lower(std::string_view typed, std::string_view lower) {
    if (typed.size() != lower.size()) return false;
    for (size_t i = 0; i < typed.size(); ++i) {
        char c = typed[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

constexpr std::array<std::pair<std::string_view, command_kind>, 10> names = {{
    {"stats", command_kind::stats},
    {"collectors", command_kind::collectors},
    {"exporters", command_kind::exporters},
    {"templates", command_kind::templates},
    {"as_stats", command_kind::as_stats},
    {"top", command_kind::top},
    {"reset", command_kind::reset},
    {"help", command_kind::help},
    {"quit", command_kind::quit},
    {"exit", command_kind::quit},
}};

}  // namespace

line_scan scan_line(std::string_view buffer, size_t max_length) {
    const size_t lf = buffer.find('\n');
    if (lf == std::string_view::npos) {
        // A CR at the very end may still be the start of the line's CR LF.
        const size_t body = !buffer.empty() && buffer.back() == '\r' ? buffer.size() - 1 : buffer.size();
        return {body > max_length ? line_status::too_long : line_status::incomplete, {}, 0};
    }
    std::string_view line = buffer.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_length) return {line_status::too_long, {}, 0};
    return {line_status::complete, line, lf + 1};
}

command parse_command(std::string_view line) {
    line = trim(line);
    if (line.empty()) return {};
    size_t end = 0;
    while (end < line.size() && !is_blank(line[end])) ++end;
    command c{command_kind::unknown, line.substr(0, end), trim(line.substr(end))};
    for (const auto& [name, kind] : names) {
        if (equals_lower(c.name, name)) {
            c.kind = kind;
            break;
        }
    }
    return c;
}

std::string_view command_name(command_kind kind) {
    for (const auto& [name, k] : names) {
        if (k == kind) return name;
    }
    return {};
}

}  // namespace ipfix::stats
