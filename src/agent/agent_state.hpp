#pragma once
// What this replica knows, kept in one place and read by both the probes and the metrics
// (agent_views.hpp): the stored certificate, whether it is the writer, how its last renewal went,
// when it last renewed its Lease.
//
// Each fact has one writer:
//   - the stored certificate: the Rotator (what it found valid, or wrote) while this replica
//     writes, StoredCertificateCheck (what a probe made it read) while it does not;
//   - the renewal outcomes: the Rotator;
//   - leading, terms and the last Lease renewal: the elector, whose status() is read whenever the
//     facts are (follow_election, election_facts). Without leader election this replica is the
//     only writer.
//
// Thread Safety: io_context thread only.

#include "util/clock.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gic::election {
struct ElectionStatus;
}

namespace gic::agent {

// Who last vouched for the stored certificate.
enum class CertificateSource {
    writer_read,    // the writer read it and found it valid (reused, or found after a root change)
    writer_wrote,   // the writer stored it
    follower_read,  // a replica that does not write read it when a probe asked
};

// A certificate in the store found valid for the identity (SPIFFE ID, matching key, chaining to
// the roots of the moment) at `checked_at`.
struct KnownCertificate {
    std::string serial;
    util::WallTime not_before;
    util::WallTime not_after;
    util::WallTime checked_at;
    CertificateSource source = CertificateSource::writer_read;
};

// How the last issuance ended: observe::renewal_result_* ("success", "ca_unavailable", ...).
struct RenewalOutcome {
    std::string result;
    util::WallTime at;
};

// The elector's facts, as its status() last said.
struct ElectionFacts {
    bool leading = false;
    std::optional<util::WallTime> last_lease_renewal;  // our last successful acquire or renewal
    std::uint64_t terms = 0;                           // times this replica became leader
    std::chrono::milliseconds lease_duration{15'000};
};

struct AgentFacts {
    std::optional<KnownCertificate> certificate;
    std::optional<RenewalOutcome> last_renewal;
    std::optional<util::WallTime> last_successful_renewal;
    std::optional<ElectionFacts> election;  // none: no leader election

    // This replica writes: it leads, or there is no election.
    bool writer() const { return !election || election->leading; }
};

// The elector's status as election facts, for a Lease of `lease_duration`.
ElectionFacts election_facts(election::ElectionStatus const& status, std::chrono::milliseconds lease_duration);

class AgentState {
public:
    // Written by the certificate path (see above).
    void certificate_known(KnownCertificate certificate);
    void renewal_ended(std::string_view result, util::WallTime at);

    // From now on the facts carry the election's, read from `election` each time they are read.
    void follow_election(std::function<ElectionFacts()> election);

    AgentFacts facts() const;

private:
    AgentFacts known_;  // everything but the election, which is read through election_
    std::function<ElectionFacts()> election_;
};

}  // namespace gic::agent
