#pragma once
// Dialling the CA ahead of the first call, for real. gRPC's callback API polls sockets from the
// threads it starts with the first call on a channel; before that nothing polls them, so a
// channel asked to connect (GetState(true)) gets as far as the TCP connect and its TLS handshake
// waits for the call (measured on --once: the ClientHello left 7 ms after the TCP connect, when
// the call started). A CaDial polls for its channel on a thread of its own, through gRPC's
// blocking WaitForStateChange (which polls while it waits), until the channel is ready or has
// failed, so the handshake runs while the caller does other work.

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <thread>

namespace gic::istio {

class CaDial {
public:
    // Starts connecting `channel` and polling for it.
    explicit CaDial(std::shared_ptr<grpc::Channel> channel);
    // Stops polling (within poll_slice, when the channel is still connecting) and joins.
    ~CaDial();
    CaDial(CaDial const&) = delete;
    CaDial& operator=(CaDial const&) = delete;

    // The longest the destructor waits: how often the poller looks at its stop request.
    static constexpr std::chrono::milliseconds poll_slice{10};

private:
    std::shared_ptr<grpc::Channel> channel_;
    std::jthread poller_;
};

}  // namespace gic::istio
