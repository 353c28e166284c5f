#include "election/election_state.hpp"

namespace gic::election {

namespace json = boost::json;

ElectionState::ElectionState(std::string namespace_, std::string name, std::string identity,
                             std::chrono::seconds lease_duration)
    : namespace_(std::move(namespace_)), name_(std::move(name)), identity_(std::move(identity)),
      lease_duration_(lease_duration) {}

Result<void> ElectionState::observe(json::object const& lease, SteadyTime now) {
    auto record = record_from_lease(lease);
    if (!record) return record.error();
    if (!observed_ || *observed_ != *record) {
        observed_ = std::move(*record);
        observed_time_ = now;
    }
    observed_lease_ = lease;
    return {};
}

void ElectionState::observe_absent() {
    observed_.reset();
    observed_time_.reset();
    observed_lease_ = {};
}

Result<void> ElectionState::observe_written(json::object const& lease, SteadyTime now) {
    auto record = record_from_lease(lease);
    if (!record) return record.error();
    observed_ = std::move(*record);
    observed_time_ = now;
    observed_lease_ = lease;
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
    if (!is_leader() || observed_lease_.empty() || !(*expiry() > now)) return std::nullopt;
    auto record = desired_record(wall_now);
    record.acquire_time = observed_->acquire_time;
    record.leader_transitions = observed_->leader_transitions;
    return with_record(observed_lease_, record);
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
    if (auto observed = observe(*fetched, now); !observed) {
        decision.kind = AcquireDecision::Kind::invalid;
        decision.error = observed.error().message;
        return decision;
    }
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
    decision.body = with_record(*fetched, record);  // the resourceVersion just read
    return decision;
}

std::optional<json::object> ElectionState::release_body(json::object const& fetched, WallTime wall_now) const {
    auto current = record_from_lease(fetched);
    if (!current || current->holder_identity != identity_) return std::nullopt;
    LeaderElectionRecord record;
    record.holder_identity = "";
    record.lease_duration_seconds = 1;
    record.acquire_time = wall_now;
    record.renew_time = wall_now;
    record.leader_transitions = current->leader_transitions;
    return with_record(fetched, record);
}

}  // namespace gic::election
