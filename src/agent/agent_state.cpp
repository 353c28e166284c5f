#include "agent/agent_state.hpp"

#include "election/leader_elector.hpp"
#include "observe/metrics.hpp"

namespace gic::agent {

void AgentState::certificate_known(KnownCertificate certificate) { known_.certificate = std::move(certificate); }

void AgentState::renewal_ended(std::string_view result, util::WallTime at) {
    known_.last_renewal = RenewalOutcome{std::string(result), at};
    if (result == observe::renewal_result_success) known_.last_successful_renewal = at;
}

ElectionFacts election_facts(election::ElectionStatus const& status, std::chrono::milliseconds lease_duration) {
    return ElectionFacts{status.leading, status.last_renew, status.terms, lease_duration};
}

void AgentState::follow_election(std::function<ElectionFacts()> election) { election_ = std::move(election); }

AgentFacts AgentState::facts() const {
    AgentFacts facts = known_;
    if (election_) facts.election = election_();
    return facts;
}

}  // namespace gic::agent
