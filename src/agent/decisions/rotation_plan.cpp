#include "agent/decisions/rotation_plan.hpp"

#include <algorithm>

namespace gic::agent {

namespace {
// Two streams from one seed, so that the renewal draws and the backoff draws stay independent
// (a retry does not shift the next renewal time). The constant is the 64-bit golden ratio.
constexpr std::uint64_t backoff_stream = 0x9e3779b97f4a7c15ULL;
}  // namespace

RotationPlan::RotationPlan(RotationPolicy policy, std::uint64_t seed)
    : policy_(policy), schedule_(policy.renewal, seed), backoff_(policy.backoff, seed ^ backoff_stream) {}

RotationStep RotationPlan::back_off(BackOffReason reason, std::chrono::milliseconds delay, WallTime now) {
    RotationStep step;
    step.kind = RotationStep::Kind::back_off;
    step.reason = reason;
    step.delay = delay;
    step.at = now + delay;
    return step;
}

RotationStep RotationPlan::on_stored(StoredState const& stored, WallTime now) {
    using Kind = StoredState::Kind;
    switch (stored.kind) {
        case Kind::unreadable: return back_off(BackOffReason::read_failed, backoff_.next(), now);
        case Kind::empty:
        case Kind::unusable:
        case Kind::invalid: return RotationStep{RotationStep::Kind::issue};
        case Kind::valid: break;
    }
    if (stored.serial != scheduled_serial_) {
        scheduled_serial_ = stored.serial;
        scheduled_due_ = schedule_.renew_at(RenewalSchedule::created_from_not_before(stored.not_before, stored.not_after),
                                            stored.not_after);
    }
    if (scheduled_due_ <= now) return RotationStep{RotationStep::Kind::issue};
    RotationStep step;
    step.at = scheduled_due_;
    if (stored.roots_current) {
        step.kind = RotationStep::Kind::reuse;
        backoff_.reset();
    } else {
        // The backoff is reset once the new ca.crt is written (on_written).
        step.kind = RotationStep::Kind::rewrite_roots;
    }
    return step;
}

RotationStep RotationPlan::on_issue_failed(IssueFailure kind, WallTime now) {
    bool const configuration = kind == IssueFailure::ca_rejected || kind == IssueFailure::misconfigured;
    auto step = configuration ? back_off(BackOffReason::issue_rejected, policy_.rejected_retry, now)
                              : back_off(BackOffReason::issue_failed, backoff_.next(), now);
    step.rebuild_channel = kind != IssueFailure::local;
    step.tell = !failing_;
    failing_ = true;
    return step;
}

WallTime RotationPlan::on_issued(std::string const& serial, WallTime received_at, WallTime not_after) {
    scheduled_serial_ = serial;
    scheduled_due_ = schedule_.renew_at(received_at, not_after);
    return scheduled_due_;
}

WriteRetry RotationPlan::on_write_failed(WallTime not_before, WallTime not_after, WallTime now) {
    auto const delay = backoff_.next();
    // Keep trying to store this certificate while it is comfortably valid; after that a fresh
    // one is better.
    if (now + delay > not_before + (not_after - not_before) / 2) return WriteRetry{true, delay};
    return WriteRetry{false, delay};
}

bool RotationPlan::on_issued_write_given_up() {
    bool const tell = !failing_;
    failing_ = true;
    return tell;
}

void RotationPlan::on_written() { backoff_.reset(); }

void RotationPlan::on_issue_completed() {
    backoff_.reset();
    failing_ = false;
}

RenewalWait RotationPlan::wait_before(WallTime due, WallTime now, std::chrono::milliseconds settle) const {
    if (due <= now) return RenewalWait{true};
    RenewalWait wait;
    wait.sleep = sleep_before_renewal(due, now, policy_.max_sleep);
    wait.quiet = due - now > policy_.idle_settle * 2;
    if (wait.quiet) wait.sleep = std::min(wait.sleep, settle);
    return wait;
}

}  // namespace gic::agent
