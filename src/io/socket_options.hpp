// Socket option helpers shared by the UDP receiver and senders (private to src/io).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ipfix::io::detail {

// The send_burst of both senders: items grouped into runs of one address family, each run
// handed to send_run(fd, run, blocked) on that family's socket; a family without a socket
// drops its run as errors. Stops at the first run the kernel blocked (counted); returns how
// many items were dealt with.
template <class Item, class FdOf, class SendRun, class Counters>
size_t send_by_family(std::span<const Item> items, FdOf&& fd_of, SendRun&& send_run, Counters& counters) {
    size_t i = 0;
    while (i < items.size()) {
        const uint8_t family = items[i].to.address.family;
        size_t end = i + 1;
        while (end < items.size() && items[end].to.address.family == family) ++end;
        const int f = fd_of(family);
        if (f < 0) {
            counters.errors += end - i;
            i = end;
            continue;
        }
        bool blocked = false;
        i += send_run(f, items.subspan(i, end - i), blocked);
        if (blocked) {
            ++counters.would_block;
            break;
        }
    }
    return i;
}

// A send error that says the destination is not there (an ICMP error the kernel kept).
bool is_unreachable(int err);

enum class buffer_kind { receive, send };

// Asks for a socket buffer of `bytes`: SO_RCVBUFFORCE/SO_SNDBUFFORCE first (they pass the
// net.core.*mem_max cap with CAP_NET_ADMIN), else the plain option, which the kernel caps.
// False only when the plain option fails too.
bool request_buffer(int fd, buffer_kind kind, int bytes);

// The buffer size now set, halved from what the kernel reports (it doubles the request to
// allow for its bookkeeping), so it compares with what was asked. -1 on failure.
int buffer_size(int fd, buffer_kind kind);

// "what: strerror(err)", for error() messages.
std::string describe(const std::string& what, int err);

}  // namespace ipfix::io::detail
