#include "election/election_state.hpp"

namespace gic::election {

namespace json = boost::json;

ElectionState::ElectionState(std::string namespace_, std::string name, std::string identity,
                             std::chrono::seconds lease_duration)
    : namespace_(std::move(namespace_)), name_(std::move(name)), identity_(std::move(identity)),
      lease_duration_(lease_duration) {}

Result<void> ElectionState::observe(json::object const& lease, SteadyTime now) {
    auto typed = parse_lease(lease);
    if (!typed) return typed.error();
    observe(std::move(*typed), now);
    return {};
}

void ElectionState::observe(Lease lease, SteadyTime now) {
    if (!observed_ || *observed_ != lease.record) {
        observed_ = lease.record;
        observed_time_ = now;
    }
    observed_lease_ = std::move(lease);
}

void ElectionState::observe_absent() {
    observed_.reset();
    observed_time_.reset();
    observed_lease_.reset();
}

Result<void> ElectionState::observe_written(json::object const& lease, SteadyTime now) {
    auto typed = parse_lease(lease);
    if (!typed) return typed.error();
    observed_ = typed->record;
    observed_time_ = now;
    observed_lease_ = std::move(*typed);
    return {};
}

bool ElectionState::is_leader() const { return observed_ && observed_->holder_identity == identity_; }

std::optional<SteadyTime> ElectionState::expiry() const {
    if (!observed_ || !observed_time_) return std::nullopt;
    return *observed_time_ + std::chrono::seconds(observed_->lease_duration_seconds);
}

bool ElectionState::held_by_other(SteadyTime now) const {
    if (!observed_ || observed_->holder_identity.empty() || observed_->holder_identity == identity_) return false;
    return *expiry() > now;
}

SteadyTime ElectionState::chance_at(SteadyTime now) const {
    if (!observed_ || observed_->holder_identity.empty()) return now;
    return *expiry();
}

LeaderElectionRecord ElectionState::desired_record(WallTime wall_now) const {
    LeaderElectionRecord record;
    record.holder_identity = identity_;
    record.lease_duration_seconds = std::int32_t(lease_duration_.count());
    record.acquire_time = wall_now;
    record.renew_time = wall_now;
    return record;
}

std::optional<json::object> ElectionState::fast_renew_body(SteadyTime now, WallTime wall_now) const {
    if (!is_leader() || !observed_lease_ || !(*expiry() > now)) return std::nullopt;
    auto renewed = *observed_lease_;
    renewed.record = desired_record(wall_now);
    renewed.record.acquire_time = observed_->acquire_time;
    renewed.record.leader_transitions = observed_->leader_transitions;
    return to_json(renewed);
}

AcquireDecision ElectionState::decide_after_get(std::optional<json::object> const& fetched, SteadyTime now,
                                                WallTime wall_now) {
    AcquireDecision decision;
    auto record = desired_record(wall_now);
    if (!fetched) {
        observe_absent();
        decision.kind = AcquireDecision::Kind::create;
        decision.body = new_lease(namespace_, name_, record);  // leaseTransitions 0
        return decision;
    }
    auto lease = parse_lease(*fetched);
    if (!lease) {
        decision.kind = AcquireDecision::Kind::invalid;
        decision.error = lease.error().message;
        return decision;
    }
    observe(*lease, now);
    if (held_by_other(now)) {
        decision.kind = AcquireDecision::Kind::held_by_other;
        return decision;
    }
    if (is_leader()) {
        record.acquire_time = observed_->acquire_time;
        record.leader_transitions = observed_->leader_transitions;
    } else {
        record.leader_transitions = observed_->leader_transitions + 1;
    }
    decision.kind = AcquireDecision::Kind::update;
    lease->record = record;
    decision.body = to_json(*lease);  // the resourceVersion just read
    return decision;
}

std::optional<json::object> ElectionState::release_body(json::object const& fetched, WallTime wall_now) const {
    auto current = parse_lease(fetched);
    if (!current || current->record.holder_identity != identity_) return std::nullopt;
    LeaderElectionRecord record;
    record.holder_identity = "";
    record.lease_duration_seconds = 1;
    record.acquire_time = wall_now;
    record.renew_time = wall_now;
    record.leader_transitions = current->record.leader_transitions;
    current->record = record;
    return to_json(*current);
}

}  // namespace gic::election
