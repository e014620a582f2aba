#include "ipfix/stats/traffic_source.hpp"

#include <algorithm>
#include <chrono>

namespace ipfix::stats {
namespace {

uint64_t wall_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// Workers answer within a few bursts, or about a millisecond when idle.
constexpr std::chrono::milliseconds answer_wait{200};

}  // namespace

traffic_source traffic_from(const config::daemon_config& config, const enrich::as_database* db,
                            std::function<std::vector<pipeline::traffic_tally*>()> tallies) {
    traffic_source s;
    const uint64_t lifetime_ms = uint64_t{config.templates.lifetime_seconds} * 1000;
    s.read = [tallies, lifetime_ms] {
        const std::vector<pipeline::traffic_tally*> t = tallies();
        return pipeline::read_traffic(t, answer_wait, wall_ms(), lifetime_ms);
    };
    s.reset = [tallies] {
        const std::vector<pipeline::traffic_tally*> t = tallies();
        pipeline::reset_traffic(t);
    };
    auto names = std::make_shared<as_names>(db);
    s.as_name = [names](uint32_t as) { return names->name(as); };
    s.token = config.general.stats_token;
    return s;
}

std::string as_names::name(uint32_t as) {
    if (db_ == nullptr || as == 0) return {};
    if (db_->generation() != generation_) {
        generation_ = db_->generation();
        table_ = db_->snapshot();
        orgs_.clear();
        const size_t rows = table_->stats().attributes;
        for (uint32_t i = 1; i < rows; ++i) {
            const enrich::as_attributes& a = table_->attributes(i);
            if (a.asn != 0 && a.org != 0) orgs_.emplace_back(a.asn, a.org);
        }
        std::sort(orgs_.begin(), orgs_.end());
        orgs_.erase(std::unique(orgs_.begin(), orgs_.end(),
                                [](const auto& x, const auto& y) { return x.first == y.first; }),
                    orgs_.end());
    }
    const auto it = std::lower_bound(orgs_.begin(), orgs_.end(), std::pair<uint32_t, uint32_t>{as, 0});
    if (it == orgs_.end() || it->first != as) return {};
    return std::string(table_->org_name(it->second));
}

bool token_matches(std::string_view configured, std::string_view presented) {
    if (configured.empty() || presented.empty()) return false;
    // Every byte of the longer is looked at, whatever matches, so timing tells nothing.
    const size_t n = std::max(configured.size(), presented.size());
    unsigned diff = configured.size() == presented.size() ? 0u : 1u;
    for (size_t i = 0; i < n; ++i) {
        const auto a = static_cast<unsigned char>(i < configured.size() ? configured[i] : 0);
        const auto b = static_cast<unsigned char>(i < presented.size() ? presented[i] : 0);
        diff |= static_cast<unsigned>(a ^ b);
    }
    return diff == 0;
}

}  // namespace ipfix::stats
