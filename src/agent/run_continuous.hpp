#pragma once
// The sidecar's steady state: the Rotator and the input watcher on the one io_context, until
// cancelled (SIGTERM/SIGINT), which ends both at once.

#include "agent/options.hpp"

#include <boost/asio/awaitable.hpp>

namespace gic::agent {

// Runs until cancelled; configuration errors found at startup are thrown as gic::ConfigError.
boost::asio::awaitable<void> run_continuous(Options options);

}  // namespace gic::agent
