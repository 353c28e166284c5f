#pragma once
// One simulated run: the world (API server, istiod, N replicas in virtual time), the seed's fault
// schedule applied at its times, and the invariants checked after every step (every instant at
// which something ran). The run stops at the first violation.

#include "fake_api_server.hpp"
#include "fake_ca.hpp"
#include "fault_schedule.hpp"
#include "replica.hpp"
#include "trace.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gic::sim {

struct SimConfig {
    int replicas = 0;  // 1..5; 0 = drawn from the seed
    std::chrono::milliseconds run_length{std::chrono::hours(3)};
    int faults = -1;   // -1 = drawn from the seed (proportional to the run length)
    ReplicaTimings timings;
    std::size_t max_steps = 5'000'000;  // a run that makes no progress in time is a failure
    std::uint64_t max_handlers_per_step = 200'000;  // nor one that runs without ever waiting
};

struct Violation {
    std::string invariant;
    std::string detail;
};

struct SimResult {
    std::uint64_t seed = 0;
    int replicas = 0;
    std::optional<Violation> violation;
    std::uint64_t trace_hash = 0;
    std::uint64_t trace_lines = 0;
    std::uint64_t steps = 0;
    std::uint64_t handlers = 0;
    double simulated_hours = 0;
    std::uint64_t tolerated_overlaps = 0;  // writer overlaps caused by a suspended process
    std::uint64_t certificates = 0;        // leaves the Secret held in turn
    std::uint64_t events = 0;              // Events the replicas created
    std::uint64_t terms = 0;
};

// `echo` (may be null) receives every trace line as it happens; on a violation the last lines are
// in `failure_trace`.
SimResult run_simulation(std::uint64_t seed, SimConfig const& config, std::ostream* echo = nullptr,
                         std::string* failure_trace = nullptr);

// How long after istiod publishes a root bundle a replica's mounted file may still hold the old one
// (kubelet's sync period plus its ConfigMap cache); each replica's delay is drawn up to this.
inline constexpr std::chrono::milliseconds max_root_sync_delay{90'000};

// The wall-clock time at which every run starts (2030-01-01T00:00:00Z): fixed, so a seed replays
// to the same certificate times.
inline constexpr util::WallTime simulated_wall_start{std::chrono::seconds(1'893'456'000)};

}  // namespace gic::sim
