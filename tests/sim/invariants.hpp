#pragma once
// The properties every simulated run must keep, each with a name printed with the seed and the
// trace when it fails:
//
//  single-writer      no two replicas run the Rotator (act as writer) under terms that overlap
//                     on the API server's clock. This is client-go's safety argument: a follower
//                     takes over only leaseDuration after it OBSERVED the last renewal (its own
//                     steady clock), the leader stops renewDeadline after its last successful
//                     renewal was SENT, and validate_timings keeps leaseDuration >= renewDeadline
//                     + the request timeout; it assumes no process pauses longer than that margin.
//                     An overlap involving a replica that was suspended is therefore recorded
//                     (tolerated_overlaps), not failed; it must still never yield a bad or older
//                     Secret, which the Secret invariants below check regardless.
//  secret-valid       every Secret written holds a kubernetes.io/tls set whose leaf is for our
//                     identity, matches tls.key, is within its validity on the server's clock and
//                     chains to a root istiod published, and was signed as a good answer.
//  secret-unexpired   the Secret's leaf never expires, unless istiod was unreachable (outage or
//                     hang) during its renewal window; it then keeps the last valid one.
//  secret-monotonic   a leaf is never replaced by one issued earlier; every update of the Secret
//                     carries the resourceVersion it read (optimistic concurrency).
//  secret-trusted     after the old root leaves the published bundle and every replica's mounted
//                     root file holds the new bundle (kubelet syncs each pod up to
//                     max_root_sync_delay later), the Secret chains to a published root again
//                     within a CA round trip (plus the delays faults force).
//  writer-verifies    a replica writes only a chain that its own mounted root file verifies (on
//                     its own clock; the file it replaced counts within a request timeout of the
//                     change): the Rotator checks every answer against that bundle, so a replica
//                     whose file lacks istiod's new root never writes a leaf signed under it, and
//                     waits for kubelet instead. (ca.crt is the bundle istiod sends with the leaf.)
//  renewal-early      a valid leaf that still chains to the published roots is not renewed before
//                     49 % of its life (from receipt), give or take the issuing replica's clock offset.
//  renewal-late       nor later than 51 % plus the delays the fault schedule forces.
//  quiet-follower     a replica that does not lead sends no Lease get/create/update, no Secret
//                     request, no Event and no CA call while another holder renews the Lease normally.
//  one-call-per-renewal  with no fault around, every certificate istiod signs ends up in the Secret.
//  convergence        a bounded time after the last fault (and the last root file sync): every
//                     replica up, exactly one leader, and the Secret holds a valid leaf chaining to
//                     the published roots, not overdue.
//  agent-error        no replica's run ends with an exception other than its cancellation.
//
// Events (the agent's EventRecorder, over a connection of its own; events-refused and events-hang
// faults touch only that connection and earn no allowance in any rule above):
//  event-owner        every Event comes from a replica that has been writer since it started, and is
//                     one the agent records: LeaderElection on the Lease naming the sender's own
//                     identity ("became leader", "stopped leading"), CertificateIssued on the
//                     Secret for a leaf istiod signed for the sender and that reached the Secret,
//                     or CertificateIssueFailed on the Secret. A follower records nothing.
//  events-bounded     Events created <= 3 x (writer terms + certificates istiod signed) + 3: two
//                     per term, one CertificateIssued per certificate, and failures told once per
//                     run of them (a run ends with a signed certificate or with the term).
//  renewal-cadence    the Lease holder renews every retry period (+1 s): a gap longer than that
//                     needs a fault other than the Events' within a lease duration before it, so a
//                     refused or hanging Event never delays leadership work.

#include "simulation.hpp"
#include "world.hpp"

#include <map>
#include <optional>
#include <vector>
#include <string>

namespace gic::sim {

class Invariants {
public:
    explicit Invariants(World& world);

    // Called for every committed change at the API server.
    void changed(Change const& change);
    // Called after every step; cheap.
    void step();
    // Called once when the run ends (convergence).
    void finish();

    std::optional<Violation> const& violation() const { return violation_; }
    std::uint64_t tolerated_overlaps() const { return tolerated_overlaps_; }
    std::uint64_t certificates() const { return certificates_; }
    std::uint64_t events() const { return events_; }
    bool converged() const { return converged_checked_; }

    // How long after the last fault the system must have converged.
    static constexpr std::chrono::minutes convergence_bound{4};

private:
    struct Leaf {
        std::string serial;
        util::WallTime not_before{};
        util::WallTime not_after{};
        util::SteadyTime issued_at{};  // when istiod signed it (world time)
        std::string issued_by;
        std::vector<std::string> root_fingerprints;  // the published roots it chains to
    };
    void fail(std::string invariant, std::string detail);
    void secret_written(Change const& change);
    void event_created(Change const& change);
    void writer_verifies(std::string const& who, std::vector<pki::Certificate> const& chain);
    void check_new_terms();
    void check_followers();
    void check_renewal_timing();
    void check_wasted_calls();
    void check_trusted();
    bool chains_to_published(Leaf const& leaf) const;
    util::SteadyTime due(Leaf const& leaf, double ratio) const;
    std::chrono::milliseconds clock_offset(std::string const& replica) const;

    World& world_;
    std::optional<Violation> violation_;
    std::optional<Leaf> current_;
    std::uint64_t tolerated_overlaps_ = 0;
    std::uint64_t certificates_ = 0;
    std::uint64_t events_ = 0;
    std::size_t terms_seen_ = 0;
    std::size_t signed_seen_ = 0;
    std::vector<std::pair<std::string, util::SteadyTime>> awaiting_secret_;  // serial, must appear by
    std::map<std::string, bool> ever_in_secret_;
    std::vector<std::uint64_t> follower_requests_;
    util::SteadyTime lease_renewed_at_{};
    util::SteadyTime lease_renewed_before_{};
    util::SteadyTime lease_holder_since_{};
    std::string lease_holder_;
    std::string lease_acquired_;
    bool converged_checked_ = false;
    std::optional<util::SteadyTime> untrusted_since_;
    util::SteadyTime last_effect_{};
};

}  // namespace gic::sim
