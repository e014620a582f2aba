// Socket option helpers shared by the UDP receiver and senders (private to src/io).
#pragma once

#include <string>

namespace ipfix::io::detail {

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
