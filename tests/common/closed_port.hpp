#pragma once
// A loopback TCP port where nothing listens, for tests of "connection refused". The port stays
// bound (but never listening) for the object's life: the kernel refuses connections to it, and no
// other process, such as a test running beside this one, can be given it meanwhile. A port that
// was merely bound and released again could be handed to someone else's listener at any moment.

#include <string>

namespace gic::test {

class ClosedLoopbackPort {
public:
    ClosedLoopbackPort();  // throws std::runtime_error when no port can be bound
    ~ClosedLoopbackPort();
    ClosedLoopbackPort(ClosedLoopbackPort const&) = delete;
    ClosedLoopbackPort& operator=(ClosedLoopbackPort const&) = delete;

    int port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }  // HOST:PORT

private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace gic::test
