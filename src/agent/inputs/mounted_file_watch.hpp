#pragma once
// Follows the files that rotate under the agent: the mounted Istio token (kubelet rewrites it well
// before it expires) and the mounted root bundle (the istio-ca-root-cert ConfigMap volume). Token
// changes are counted and logged only: the token is re-read before every CA call anyway. A root
// change reloads the bundle and calls `roots_changed` (which rebuilds the CA channel and wakes the
// Rotator). Inputs that do not come from files (a minted token, roots read through the API) are
// not watched here.

#include "agent/inputs/root_bundle_source.hpp"
#include "observe/metrics.hpp"
#include "util/clock.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace gic::agent {

struct WatchedInputs {
    std::string token_path;              // "" when the token is not read from a file
    RootBundleSource& roots;             // followed when roots.path() is not empty
    std::function<void()> roots_changed;  // after roots.current() changed
    observe::AgentMetrics* metrics = nullptr;  // token reloads; may be null
    util::Clock* clock = &util::system_clock();  // the waits of the periodic fallback; never null
};

// Runs until cancelled (returns at once when there is no file to follow). If inotify cannot be used
// (or the watched directory disappears) it falls back to re-reading the files every
// `fallback_period`, and says so in the log.
boost::asio::awaitable<void> watch_inputs(WatchedInputs inputs, std::chrono::seconds fallback_period = std::chrono::seconds(60));

}  // namespace gic::agent
