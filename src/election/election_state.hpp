#pragma once
// The sans-io core of client-go's tryAcquireOrRenew (kubernetes-api.md section 4): what we last
// observed of the Lease, when (local steady clock), and the decisions built on that. Expiry is
// observedTime + the RECORD's leaseDurationSeconds, never renewTime: remote clocks are only
// trusted to change, so clock offsets between replicas do not matter.
//
// Thread Safety: none needed (one io_context thread).

#include "election/lease_record.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace gic::election {

using SteadyTime = std::chrono::steady_clock::time_point;

// What a GET of the Lease leads to.
struct AcquireDecision {
    enum class Kind { create, update, held_by_other };
    Kind kind = Kind::held_by_other;
    Lease body;  // for create/update: the Lease to send
};

class ElectionState {
public:
    ElectionState(std::string namespace_, std::string name, std::string identity, std::chrono::seconds lease_duration);

    std::string const& identity() const { return identity_; }
    std::string const& lease_namespace() const { return namespace_; }
    std::string const& lease_name() const { return name_; }

    // Records a Lease read from the API (GET, LIST, watch event). observedTime moves only when
    // the record's content changes, so metadata-only changes do not extend the lease.
    void observe(Lease lease, SteadyTime now);
    // The Lease does not exist (404, DELETED event): anyone may create it.
    void observe_absent();
    // A write of ours succeeded: observed = what the server returned, observedTime = now.
    void observe_written(Lease lease, SteadyTime now);

    std::optional<LeaderElectionRecord> const& observed() const { return observed_; }
    std::optional<SteadyTime> observed_time() const { return observed_time_; }
    // The last Lease read or written (its metadata: what Events about it refer to).
    std::optional<Lease> const& observed_lease() const { return observed_lease_; }

    // We are the holder in the last observation.
    bool is_leader() const;
    // observedTime + observed leaseDurationSeconds; nullopt when nothing is observed.
    std::optional<SteadyTime> expiry() const;
    // Someone else holds it and it has not expired by our clock (an empty holder never holds).
    bool held_by_other(SteadyTime now) const;
    // When a follower should next try to acquire: now if the Lease is absent or released,
    // otherwise its expiry by our clock.
    SteadyTime chance_at(SteadyTime now) const;

    // Step 2 of tryAcquireOrRenew: the Lease to PUT for a renewal from the cached one, when we
    // believe we lead and the lease has not expired by our clock; nullopt otherwise.
    std::optional<Lease> fast_renew_body(SteadyTime now, WallTime wall_now) const;
    // Steps 3-6 after a GET: `fetched` is the Lease, or nullopt for 404. Observes `fetched`.
    AcquireDecision decide_after_get(std::optional<Lease> const& fetched, SteadyTime now, WallTime wall_now);
    // Release: the Lease to PUT that empties the holder of `fetched` (freshly read), or nullopt
    // when it no longer names us (never blank a newer leader's Lease).
    std::optional<Lease> release_body(Lease const& fetched, WallTime wall_now) const;

    // The record we would write to hold the Lease now.
    LeaderElectionRecord desired_record(WallTime wall_now) const;

private:
    std::string namespace_;
    std::string name_;
    std::string identity_;
    std::chrono::seconds lease_duration_;
    std::optional<LeaderElectionRecord> observed_;
    std::optional<SteadyTime> observed_time_;
    std::optional<Lease> observed_lease_;  // the last Lease read or written (its resourceVersion)
};

}  // namespace gic::election
