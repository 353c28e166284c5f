#pragma once
// Follows the files that rotate under the agent: the Istio token (kubelet rewrites it well before
// it expires) and the root bundle (the istio-ca-root-cert ConfigMap). Token changes are only
// logged: the token is re-read before every CA call anyway. A root change reloads the bundle,
// rebuilds the CA channel with it and wakes the Rotator.

#include "agent/root_bundle_source.hpp"
#include "agent/rotator.hpp"
#include "istio/ca_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace gic::agent {

struct WatchedInputs {
    std::string token_path;
    RootBundleSource& roots;
    istio::CaClient& ca;
    Rotator& rotator;
};

// Runs until cancelled. If inotify cannot be used (or the watched directory disappears) it falls
// back to re-reading the files every `fallback_period`, and says so in the log.
boost::asio::awaitable<void> watch_inputs(WatchedInputs inputs, std::chrono::seconds fallback_period = std::chrono::seconds(60));

}  // namespace gic::agent
