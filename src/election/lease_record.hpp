#pragma once
// client-go's LeaderElectionRecord and its mapping to a coordination.k8s.io/v1 Lease spec
// (kubernetes-api.md section 4). Times are MicroTime: written with exactly six fraction digits in
// UTC, read leniently. strategy/preferredHolder (coordinated leader election) are never written:
// a write replaces the whole spec, as client-go's LeaseLock does.

#include "kube/object_meta.hpp"
#include "util/error.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace gic::election {

using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

struct LeaderElectionRecord {
    std::string holder_identity;
    std::int32_t lease_duration_seconds = 0;
    std::optional<WallTime> acquire_time;
    std::optional<WallTime> renew_time;
    std::int32_t leader_transitions = 0;

    // Content equality: client-go restarts its expiry clock only when the record changes.
    bool operator==(LeaderElectionRecord const&) const = default;
};

WallTime to_wall_time(std::chrono::system_clock::time_point t);

// A coordination.k8s.io/v1 Lease as the elector sees it: its metadata and the record in its spec,
// read once, with the object as read kept so a write sends back every field we do not model.
struct Lease {
    kube::ObjectMeta metadata;
    LeaderElectionRecord record;
    // The object as read (null for a new Lease). It is never modified (to_json builds a new object
    // from it), so every copy of the Lease shares it: the elector keeps the last Lease observed,
    // the latest one watched and the body of its next write, every retry period, and a copy costs
    // the typed fields only.
    std::shared_ptr<boost::json::object const> raw;
};

// The typed Lease; the error names the bad field ("metadata.uid: not a string",
// "Lease spec.leaseTransitions: not an int32"). The one place a Lease object becomes typed: the
// LeaseApi (KubeLeaseApi) and the elector's watch (kube::follow_object) both read through it.
// The object is taken, not copied: it becomes the Lease's `raw`.
Result<Lease> parse_lease(boost::json::object object);

// The object to send: `raw` with metadata and the spec set from the typed fields (the whole spec
// is replaced, as client-go's LeaseLock does), apiVersion and kind added when missing. The fields
// keep the order they were read in.
boost::json::object to_json(Lease const& lease);

// The record in a Lease object (a missing spec or field reads as its zero value, like Go's
// decoder). The error names the field with the wrong type or an unparsable time.
Result<LeaderElectionRecord> record_from_lease(boost::json::object const& lease);

// The Lease spec for a record (holderIdentity always present, "" after a release).
boost::json::object lease_spec(LeaderElectionRecord const& record);

// A new Lease for create: name, namespace and record set, nothing read (`raw` empty).
Lease new_lease(std::string const& namespace_, std::string const& name, LeaderElectionRecord const& record);

}  // namespace gic::election
