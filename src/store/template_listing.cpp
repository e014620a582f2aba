#include "ipfix/store/template_listing.hpp"

#include <fmt/format.h>

#include <ctime>

#include "ipfix/store/template_store.hpp"
#include "ipfix/store/template_sync.hpp"

namespace ipfix::store {
namespace {

std::string utc(uint64_t ms) {
    const auto seconds = static_cast<time_t>(ms / 1000);
    std::tm tm{};
    if (gmtime_r(&seconds, &tm) == nullptr) return "?";
    char text[32];
    const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03}Z", std::string(text, n), ms % 1000);
}

}  // namespace

int list_templates(const config::daemon_config& config, std::ostream& out, std::ostream& err) {
    if (!config.store.enabled) {
        err << "ipfix-enricher: the template store is off (store.enabled: false in " << config.path << ")\n";
        return 1;
    }
    std::unique_ptr<template_store> s;
    try {
        s = template_store::open(config.store.path, template_store::mode::read_only);
    } catch (const store_error& e) {
        err << "ipfix-enricher: " << e.what() << "\n";
        return 1;
    }
    const uint64_t now = template_sync::wall_clock_ms();
    const uint64_t lifetime = uint64_t{config.templates.lifetime_seconds} * 1000;
    const auto all = s->read_all();
    out << fmt::format("{:<39} {:>5} {:>10} {:<7} {:>8} {:<7} {:>6} {}\n", "exporter", "port", "domain", "version",
                       "template", "kind", "fields", "last seen");
    for (const stored_template& t : all) {
        const bool expired = now > t.last_seen_ms && now - t.last_seen_ms > lifetime;
        out << fmt::format("{:<39} {:>5} {:>10} {:<7} {:>8} {:<7} {:>6} {}{}\n", t.stream.exporter.address.to_string(),
                           t.stream.exporter.port, t.stream.domain,
                           t.stream.version == proto::protocol_version::ipfix ? "ipfix" : "v9", t.id,
                           t.options ? "options" : "data", t.fields.size(), utc(t.last_seen_ms),
                           expired ? " (expired)" : "");
    }
    out << all.size() << " template" << (all.size() == 1 ? "" : "s") << " stored in " << config.store.path;
    if (s->counters().corrupt_skipped != 0) out << "; " << s->counters().corrupt_skipped << " unreadable entries skipped";
    out << "\n";
    return 0;
}

}  // namespace ipfix::store
