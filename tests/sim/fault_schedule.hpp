#pragma once
// The faults of one simulated run, drawn from its seed (std::mt19937_64 only, so a seed replays
// identically): crashes and restarts, graceful stops, a replica partitioned from the API (hanging
// or failing), a black-holed API, API 5xx/429/409/410/403, CA outages and hangs, wrong CA answers,
// token and root rotations, wall-clock jumps, suspended processes, and Events refused or hanging.
// Every fault ends before the quiet tail of the run, in which the system must converge.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace gic::sim {

enum class FaultKind {
    crash,            // the process dies (nothing more is sent) and restarts after `duration`
    graceful_stop,    // SIGTERM: the Lease is released; restarts after `duration`
    partition_hang,   // the replica's API requests hang for `duration`
    partition_fail,   // the replica's API requests fail at once for `duration`
    black_hole,       // the replica's API requests are applied, their answers lost, for `duration`
    api_errors,       // the replica gets HTTP `amount` (500, 503 or 429 with Retry-After) for `duration`
    forbidden,        // RBAC denies the replica (403) for `duration`
    api_latency,      // the replica's round trip is `amount` ms for `duration`
    forced_conflicts, // the replica's next `amount` updates answer 409
    forced_gone,      // the replica's next `amount` watches answer 410
    ca_outage,        // istiod answers UNAVAILABLE for `duration`
    ca_hang,          // istiod answers nothing (deadlines end the calls) for `duration`
    ca_partition,     // the replica cannot reach istiod for `duration`
    ca_bad_answers,   // istiod's next `amount` answers are wrong (identity, key, expired, untrusted)
    token_rotation,   // kubelet rotates the service-account token
    root_rotation,    // a root rotation over `duration`: add a root, sign with it half-way, drop the old
    wall_jump,        // the replica's wall clock jumps by `amount` ms (either way)
    suspend,          // the replica is not scheduled for `duration` (its clocks keep going)
    events_refused,   // RBAC denies the replica's Event creates only (403), for `duration`
    events_hang,      // the replica's Event creates hang (the recorder's timeout ends them), for `duration`
};

// Faults that touch only the replica's Events: they must not slow down or relax anything else, so
// the invariants give them no allowance (invariants.hpp).
inline bool events_only(FaultKind kind) { return kind == FaultKind::events_refused || kind == FaultKind::events_hang; }

char const* fault_name(FaultKind kind);

struct Fault {
    std::chrono::milliseconds at{0};  // since the start of the run
    FaultKind kind = FaultKind::crash;
    int replica = 0;                  // for per-replica faults
    std::chrono::milliseconds duration{0};
    std::int64_t amount = 0;
};

struct ScheduleConfig {
    int replicas = 3;
    std::chrono::milliseconds run_length{std::chrono::hours(6)};
    std::chrono::milliseconds warm_up{std::chrono::minutes(1)};
    std::chrono::milliseconds quiet_tail{std::chrono::minutes(10)};
    int faults = 20;
    // Upper bounds (the safety margins the invariants rely on are stated in invariants.hpp).
    std::chrono::milliseconds max_suspend{std::chrono::seconds(40)};
    std::chrono::milliseconds max_wall_jump{std::chrono::seconds(90)};
    std::chrono::milliseconds max_ca_outage{std::chrono::minutes(20)};
};

// Sorted by `at`; every fault (and its duration) ends before run_length - quiet_tail.
std::vector<Fault> make_schedule(std::uint64_t seed, ScheduleConfig const& config);

// "partition-hang r2 for 40.000s", for the trace.
std::string describe(Fault const& fault);

}  // namespace gic::sim
