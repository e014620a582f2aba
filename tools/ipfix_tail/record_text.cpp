#include "record_text.hpp"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ipfix::tail {
namespace {

constexpr std::string_view red = "\x1b[31m";
constexpr std::string_view green = "\x1b[32m";
constexpr std::string_view yellow = "\x1b[33m";
constexpr std::string_view dim = "\x1b[2m";
constexpr std::string_view reset = "\x1b[0m";

std::string paint(std::string_view text, std::string_view colour, const text_style& style) {
    if (!style.colour || colour.empty()) return std::string(text);
    std::string out(colour);
    out += text;
    out += reset;
    return out;
}

std::string clock_text(uint64_t ms, const text_style& style) {
    const auto seconds = static_cast<time_t>(ms / 1000);
    std::tm tm{};
    if (style.utc) gmtime_r(&seconds, &tm);
    else localtime_r(&seconds, &tm);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

std::string endpoint(const std::string& address, uint64_t port) {
    if (address.find(':') != std::string::npos) return fmt::format("[{}]:{}", address, port);
    return fmt::format("{}:{}", address.empty() ? "-" : address, port);
}

// "AS64500" in green when we filled it, "AS0" in red (not found), plain when the exporter sent it.
std::string as_text(uint64_t as, bool filled, const text_style& style) {
    const std::string text = fmt::format("AS{}", as);
    if (as == 0) return paint(text, red, style);
    return paint(text, filled ? green : std::string_view{}, style);
}

std::string volume(uint64_t bytes) {
    if (bytes >= 10'000'000'000ULL) return fmt::format("{}G", bytes / 1'000'000'000ULL);
    if (bytes >= 10'000'000) return fmt::format("{}M", bytes / 1'000'000);
    if (bytes >= 10'000) return fmt::format("{}k", bytes / 1'000);
    return fmt::format("{}", bytes);
}

template <class T>
T field(const nlohmann::json& j, const char* key, T fallback) {
    const auto it = j.find(key);
    if (it == j.end()) return fallback;
    if constexpr (std::is_same_v<T, std::string>) {
        return it->is_string() ? it->template get<std::string>() : fallback;
    } else if constexpr (std::is_same_v<T, bool>) {
        return it->is_boolean() ? it->template get<bool>() : fallback;
    } else {
        return it->is_number_unsigned() ? it->template get<T>() : fallback;
    }
}

}  // namespace

std::string protocol_name(unsigned protocol) {
    switch (protocol) {
        case 1: return "icmp";
        case 6: return "tcp";
        case 17: return "udp";
        case 58: return "icmpv6";
        case 132: return "sctp";
        default: return std::to_string(protocol);
    }
}

std::string record_text(std::string_view json_line, const text_style& style) {
    const auto j = nlohmann::json::parse(json_line, nullptr, false);
    if (!j.is_object()) return paint(fmt::format("(not a record: {})", json_line.substr(0, 200)), red, style);
    if (j.contains("dropped")) {
        return paint(fmt::format("-- {} records dropped: this client read too slowly --", field<uint64_t>(j, "dropped", 0)),
                     yellow, style);
    }
    if (j.contains("history_truncated")) {
        return paint("-- history cut short (too much for one client); live records follow --", yellow, style);
    }
    if (!j.contains("time_ms")) return paint(fmt::format("(not a record: {})", json_line.substr(0, 200)), red, style);
    const std::string sc = field<std::string>(j, "source_country", "");
    const std::string dc = field<std::string>(j, "destination_country", "");
    std::string countries;
    if (!sc.empty() || !dc.empty()) countries = fmt::format("  {}>{}", sc.empty() ? "--" : sc, dc.empty() ? "--" : dc);
    return fmt::format(
        "{} {} {:<6} {} -> {}  {} -> {}{}  {} B {} pkt",
        clock_text(field<uint64_t>(j, "time_ms", 0), style),
        paint(field<std::string>(j, "exporter", "?"), dim, style),
        protocol_name(static_cast<unsigned>(field<uint64_t>(j, "protocol", 0))),
        endpoint(field<std::string>(j, "source", ""), field<uint64_t>(j, "source_port", 0)),
        endpoint(field<std::string>(j, "destination", ""), field<uint64_t>(j, "destination_port", 0)),
        as_text(field<uint64_t>(j, "source_as", 0), field<bool>(j, "source_as_filled", false), style),
        as_text(field<uint64_t>(j, "destination_as", 0), field<bool>(j, "destination_as_filled", false), style),
        countries, volume(field<uint64_t>(j, "bytes", 0)), field<uint64_t>(j, "packets", 0));
}

}  // namespace ipfix::tail
