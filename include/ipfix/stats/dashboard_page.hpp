// The live dashboard page the stats port serves at GET /: one self-contained HTML file
// (src/stats/dashboard.html, inline CSS and JS, no external asset) embedded at build time.
#pragma once

#include <string_view>

namespace ipfix::stats {

std::string_view dashboard_page();

}  // namespace ipfix::stats
