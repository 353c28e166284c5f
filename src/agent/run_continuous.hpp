#pragma once
// The sidecar's steady state, on the one io_context until cancelled (SIGTERM/SIGINT):
//   - the Rotator keeps the certificate in its store, run by the Lease holder only when leader
//     election is on (--leader-elect with a Secret), by this replica otherwise;
//   - the inputs are followed: the mounted token and root files (inotify), the root ConfigMap
//     (watch) when no root file is mounted, and a minted token is minted again before it expires;
//   - /metrics, /healthz and /readyz are served, all views of one AgentState;
//   - Events on the Secret (CertificateIssued / CertificateIssueFailed) and on the Lease.
// Cancellation ends all of them at once; a leader releases its Lease on the way out.

#include "agent/setup/options.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace gic::agent {

// Runs until cancelled; configuration errors found at startup are thrown as gic::ConfigError.
// `version` is reported by the build_info metric.
boost::asio::awaitable<void> run_continuous(Options options, std::string version);

}  // namespace gic::agent
