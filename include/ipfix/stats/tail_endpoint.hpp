// GET /api/v1/tail: the query checked (400 with the reason), the client subscribed to the tail
// hub (503 when no hub or too many tail clients), and with since= the retention store's records
// of the last SECONDS put before the live ones (400 when the daemon keeps none).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "ipfix/pipeline/flow_summary.hpp"
#include "ipfix/stats/session.hpp"

namespace ipfix::stats {

class tail_hub;

using record_predicate = std::function<bool(const pipeline::flow_summary&)>;
// The retention store's records seen since `from_ms` up to now, oldest first: each one `match`
// accepts is given to `emit`, which returns false to stop. (store::retention_store::query_since)
using tail_history = std::function<void(uint64_t from_ms, const record_predicate& match, const record_predicate& emit)>;

// History sent to one client at most; beyond it a {"history_truncated":true} line.
inline constexpr size_t max_tail_history_bytes = 16 << 20;

http_response answer_tail(std::string_view query, tail_hub* hub, const tail_history& history, uint64_t now_ms);

}  // namespace ipfix::stats
