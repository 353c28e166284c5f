#include "agent/decisions/agent_views.hpp"

namespace gic::agent {

bool readiness(AgentFacts const& facts, util::WallTime now) {
    return facts.certificate && now < facts.certificate->not_after;
}

bool liveness(AgentFacts const& facts, util::WallTime now) {
    if (!facts.election || !facts.election->leading) return true;
    auto const& renewed = facts.election->last_lease_renewal;
    return renewed && now - *renewed < facts.election->lease_duration;
}

observe::MetricReadings metric_readings(AgentFacts const& facts, std::string const& secret) {
    observe::MetricReadings readings;
    readings.leader = facts.writer();
    if (facts.election) {
        // A term that is still running has begun but not ended.
        bool const in_term = facts.election->leading && facts.election->terms > 0;
        readings.leader_transitions = 2 * facts.election->terms - (in_term ? 1 : 0);
    } else {
        readings.leader_transitions = 1;
    }
    auto& target = readings.targets[secret];
    if (facts.certificate) target.certificate_not_after = facts.certificate->not_after;
    target.last_successful_renewal = facts.last_successful_renewal;
    return readings;
}

}  // namespace gic::agent
