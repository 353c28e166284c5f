#include "agent/agent_state.hpp"

#include "observe/metrics.hpp"

namespace gic::agent {

void AgentState::certificate_known(KnownCertificate certificate) { known_.certificate = std::move(certificate); }

void AgentState::renewal_ended(std::string_view result, util::WallTime at) {
    known_.last_renewal = RenewalOutcome{std::string(result), at};
    if (result == observe::renewal_result_success) known_.last_successful_renewal = at;
}

void AgentState::follow_election(std::function<election::ElectionStatus()> status,
                                 std::chrono::milliseconds lease_duration) {
    election_status_ = std::move(status);
    lease_duration_ = lease_duration;
}

AgentFacts AgentState::facts() const {
    AgentFacts facts = known_;
    if (election_status_) {
        auto const status = election_status_();
        facts.election = ElectionFacts{status.leading, status.last_renew, status.terms, lease_duration_};
    }
    return facts;
}

}  // namespace gic::agent
