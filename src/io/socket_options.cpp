#include "socket_options.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ipfix::io::detail {

bool request_buffer(int fd, buffer_kind kind, int bytes) {
    const bool rx = kind == buffer_kind::receive;
    if (setsockopt(fd, SOL_SOCKET, rx ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, &bytes, sizeof bytes) == 0) return true;
    return setsockopt(fd, SOL_SOCKET, rx ? SO_RCVBUF : SO_SNDBUF, &bytes, sizeof bytes) == 0;
}

int buffer_size(int fd, buffer_kind kind) {
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, kind == buffer_kind::receive ? SO_RCVBUF : SO_SNDBUF, &value, &length) != 0)
        return -1;
    return value / 2;
}

bool is_unreachable(int err) {
    return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN || err == ENETDOWN;
}

std::string describe(const std::string& what, int err) {
    return what + ": " + std::strerror(err);
}

}  // namespace ipfix::io::detail
