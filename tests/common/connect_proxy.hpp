#pragma once
// An HTTP CONNECT proxy on loopback for tests, on a thread of its own: it records each CONNECT
// target (and its Proxy-Authorization), then either refuses with `refuse_status` or connects to
// the target and relays bytes both ways until either side closes.

#include <memory>
#include <string>
#include <vector>

namespace gic::test {

class ConnectProxy {
public:
    explicit ConnectProxy(unsigned refuse_status = 0);
    ~ConnectProxy();
    ConnectProxy(ConnectProxy const&) = delete;
    ConnectProxy& operator=(ConnectProxy const&) = delete;

    unsigned short port() const;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
    // "host:port" of each CONNECT so far, and the Proxy-Authorization values seen.
    std::vector<std::string> targets() const;
    std::vector<std::string> authorizations() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gic::test
