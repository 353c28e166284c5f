#pragma once
// `--once`: issue one certificate, write it (Secret or --output-dir), print a one-line summary.

#include "agent/setup/options.hpp"

#include <boost/asio/awaitable.hpp>

namespace gic::agent {

// Returns the process exit code (0 written, 1 runtime failure). Configuration errors found at
// startup are thrown as gic::ConfigError (exit 2).
boost::asio::awaitable<int> run_once(Options options);

}  // namespace gic::agent
