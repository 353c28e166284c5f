#pragma once
// Everything one simulated run consists of, owned together (simulation.cpp builds and drives it;
// the invariants read it).

#include "common/virtual_clock.hpp"
#include "fake_api_server.hpp"
#include "fake_ca.hpp"
#include "fault_schedule.hpp"
#include "replica.hpp"
#include "trace.hpp"

#include <memory>
#include <vector>

namespace gic::sim {

struct World {
    World(util::WallTime wall_start, Deployment deployment_, ReplicaTimings timings_)
        : time(wall_start),
          server_clock(time),
          trace(time),
          server(server_clock, trace),
          istiod(server_clock, trace, deployment_.trust_domain, deployment_.namespace_, deployment_.service_account),
          deployment(std::move(deployment_)),
          timings(timings_) {}
    // The replicas go first: a replica still running is crashed on the way out, and that records
    // the end of its writer term in `terms`, which is declared after it.
    ~World() { replicas.clear(); }
    World(World const&) = delete;
    World& operator=(World const&) = delete;

    testing::VirtualTime time;
    testing::VirtualClock server_clock;  // the API server's and istiod's clock (no offset)
    Trace trace;
    FakeApiServer server;
    FakeIstiod istiod;
    Deployment deployment;
    ReplicaTimings timings;
    std::vector<std::unique_ptr<Replica>> replicas;
    std::vector<WriterTerm> terms;
    std::vector<Fault> schedule;
    util::SteadyTime faults_over{};   // when the last fault has ended
    util::SteadyTime roots_synced_by{};  // when the last bundle istiod published reaches the last file
    util::SteadyTime run_end{};
    // When each replica was last started, and its API link last disturbed (for the follower rule).
    std::vector<util::SteadyTime> started_at;
    std::vector<util::SteadyTime> link_disturbed_at;

    // Whether any fault of `kinds` (all when empty) is active at some time in [from, to].
    bool fault_during(util::SteadyTime from, util::SteadyTime to, std::vector<FaultKind> const& kinds = {}) const;
    util::SteadyTime at(std::chrono::milliseconds since_start) const { return testing::VirtualTime::start + since_start; }
};

}  // namespace gic::sim
