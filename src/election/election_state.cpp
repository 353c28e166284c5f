#include "election/election_state.hpp"

namespace gic::election {

ElectionState::ElectionState(std::string namespace_, std::string name, std::string identity,
                             std::chrono::seconds lease_duration)
    : namespace_(std::move(namespace_)), name_(std::move(name)), identity_(std::move(identity)),
      lease_duration_(lease_duration) {}

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

void ElectionState::observe_written(Lease lease, SteadyTime now) {
    observed_ = lease.record;
    observed_time_ = now;
    observed_lease_ = std::move(lease);
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

std::optional<Lease> ElectionState::fast_renew_body(SteadyTime now, WallTime wall_now) const {
    if (!is_leader() || !observed_lease_ || !(*expiry() > now)) return std::nullopt;
    auto renewed = *observed_lease_;
    renewed.record = desired_record(wall_now);
    renewed.record.acquire_time = observed_->acquire_time;
    renewed.record.leader_transitions = observed_->leader_transitions;
    return renewed;
}

AcquireDecision ElectionState::decide_after_get(std::optional<Lease> const& fetched, SteadyTime now, WallTime wall_now) {
    AcquireDecision decision;
    auto record = desired_record(wall_now);
    if (!fetched) {
        observe_absent();
        decision.kind = AcquireDecision::Kind::create;
        decision.body = new_lease(namespace_, name_, record);  // leaseTransitions 0
        return decision;
    }
    observe(*fetched, now);
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
    decision.body = *fetched;  // the resourceVersion just read, and every field we do not model
    decision.body.record = record;
    return decision;
}

std::optional<Lease> ElectionState::release_body(Lease const& fetched, WallTime wall_now) const {
    if (fetched.record.holder_identity != identity_) return std::nullopt;
    auto released = fetched;
    released.record.holder_identity = "";
    released.record.lease_duration_seconds = 1;
    released.record.acquire_time = wall_now;
    released.record.renew_time = wall_now;
    // leaseTransitions stays as read.
    return released;
}

}  // namespace gic::election
