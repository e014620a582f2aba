// `ipfix-enricher --list-templates`: what the template store holds, one template a line
// (exporter, port, domain, version, template id, kind, field count, last seen in UTC).
#pragma once

#include <ostream>

#include "ipfix/config/config.hpp"

namespace ipfix::store {

// Opens the configured store read-only (works beside a running daemon). Returns the exit
// status: 0 listed, 1 when there is no usable store (the reason goes to `err`).
int list_templates(const config::daemon_config& config, std::ostream& out, std::ostream& err);

}  // namespace ipfix::store
