#include "istio/ca_dial.hpp"

namespace gic::istio {
namespace {

bool settled(grpc_connectivity_state state) {
    // READY: the handshake is done. TRANSIENT_FAILURE and SHUTDOWN: the call will report the
    // failure (and the caller's retry policy decides); polling longer would only spin.
    return state == GRPC_CHANNEL_READY || state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN;
}

void poll_until_settled(std::stop_token stop, std::shared_ptr<grpc::Channel> channel) {
    auto state = channel->GetState(/*try_to_connect=*/true);
    while (!settled(state) && !stop.stop_requested()) {
        if (channel->WaitForStateChange(state, std::chrono::system_clock::now() + CaDial::poll_slice)) {
            state = channel->GetState(/*try_to_connect=*/false);
        }
    }
}

}  // namespace

CaDial::CaDial(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), poller_(poll_until_settled, channel_) {}

CaDial::~CaDial() {
    poller_.request_stop();
    poller_.join();
}

}  // namespace gic::istio
