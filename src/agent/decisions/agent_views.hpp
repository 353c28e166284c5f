#pragma once
// What the probes and the metrics make of the agent's state (agent_state.hpp), as pure functions
// of the facts and the wall time, so that their rules are tested without sockets or waiting.

#include "agent/agent_state.hpp"
#include "observe/metrics.hpp"
#include "util/clock.hpp"

#include <string>

namespace gic::agent {

// /readyz: a valid certificate for the identity is stored and has not expired at `now`. The
// writer knows from its own reads and writes, a follower from its last read (StoredCertificateCheck
// decides when it reads again); either way being a follower is no reason to leave the Service.
bool readiness(AgentFacts const& facts, util::WallTime now);

// /healthz beyond the loop answering: false only while this replica leads but has not renewed its
// Lease within a lease duration (the renew loop is stuck; a restart hands the Lease on).
bool liveness(AgentFacts const& facts, util::WallTime now);

// The gauges for target `secret`: certificate NotAfter, last successful renewal, the writer flag,
// and its transitions (each term of leadership begins and ends one; without election the process
// is one term that began at start).
observe::MetricReadings metric_readings(AgentFacts const& facts, std::string const& secret);

}  // namespace gic::agent
