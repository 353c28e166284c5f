#include "common/closed_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace gic::test {

ClosedLoopbackPort::ClosedLoopbackPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    // Port 0: the kernel chooses a free one. No listen(): a SYN to a bound socket that does not
    // listen is answered with a reset, so connecting fails with ECONNREFUSED.
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd_);
        throw std::runtime_error("bind() on 127.0.0.1 failed");
    }
    port_ = ntohs(addr.sin_port);
}

ClosedLoopbackPort::~ClosedLoopbackPort() { ::close(fd_); }

}  // namespace gic::test
