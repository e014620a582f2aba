#include "ipfix/io/path_mtu.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ipfix::io {

std::optional<uint32_t> route_mtu(const socket_address& to, std::string& error) {
    sockaddr_storage ss{};
    const socklen_t len = to.to_sockaddr(ss);
    if (len == 0) {
        error = "no address";
        return std::nullopt;
    }
    const bool v4 = to.address.family == 4;
    const int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return std::nullopt;
    }
    std::optional<uint32_t> mtu;
    int value = 0;
    socklen_t size = sizeof value;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        error = "no route: " + std::string(std::strerror(errno));
    } else if (::getsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU, &value, &size) != 0) {
        error = std::string(v4 ? "IP_MTU: " : "IPV6_MTU: ") + std::strerror(errno);
    } else if (value <= 0) {
        error = "the kernel gave MTU " + std::to_string(value);
    } else {
        mtu = static_cast<uint32_t>(value);
    }
    ::close(fd);
    return mtu;
}

}  // namespace ipfix::io
