#include "election/election_steps.hpp"

#include "observe/log.hpp"

namespace gic::election {

using boost::asio::awaitable;

namespace {

constexpr char component[] = "election";

Attempt failed(std::string what, ElectionState const& state, std::string const& detail) {
    Attempt a;
    a.outcome = Attempt::Outcome::failed;
    a.error = what + " Lease " + state.lease_namespace() + "/" + state.lease_name() + ": " + detail;
    return a;
}

WallTime wall_now(util::Clock const& clock) { return to_wall_time(clock.wall_now()); }

Attempt acquired() {
    Attempt a;
    a.outcome = Attempt::Outcome::acquired;
    return a;
}

Attempt written(ElectionState& state, Lease lease, util::Clock const& clock) {
    state.observe_written(std::move(lease), clock.steady_now());
    return acquired();
}

}  // namespace

awaitable<Attempt> try_acquire_or_renew(LeaseApi& api, ElectionState& state, util::Clock const& clock) {
    // Fast path: we lead and the lease has not expired by our clock: renew the cached object.
    if (auto body = state.fast_renew_body(clock.steady_now(), wall_now(clock))) {
        auto renewed = co_await api.update(*body);
        if (renewed) co_return written(state, std::move(*renewed), clock);
        observe::log_debug(component, "renewal from the cached Lease failed; re-reading it",
                           {{"lease", state.lease_namespace() + "/" + state.lease_name()},
                            {"error", renewed.error().describe()}});
    }
    auto fetched = co_await api.get();
    std::optional<Lease> current;
    if (fetched) {
        current = std::move(*fetched);
    } else if (!fetched.error().is_not_found()) {
        co_return failed("reading", state, fetched.error().describe());
    }
    auto decision = state.decide_after_get(current, clock.steady_now(), wall_now(clock));
    switch (decision.kind) {
    case AcquireDecision::Kind::held_by_other: {
        Attempt a;
        a.outcome = Attempt::Outcome::held_by_other;
        co_return a;
    }
    case AcquireDecision::Kind::create: {
        auto created = co_await api.create(decision.body);
        if (!created) co_return failed("creating", state, created.error().describe());
        co_return written(state, std::move(*created), clock);
    }
    case AcquireDecision::Kind::update: {
        auto updated = co_await api.update(decision.body);
        if (!updated) co_return failed("updating", state, updated.error().describe());
        co_return written(state, std::move(*updated), clock);
    }
    }
    co_return failed("deciding on", state, "unknown decision");
}

awaitable<Result<void>> release(LeaseApi& api, ElectionState& state, util::Clock const& clock, int attempts) {
    auto const lease = state.lease_namespace() + "/" + state.lease_name();
    // Never led (or already lost it by what we saw last): nothing of ours to release.
    if (!state.is_leader()) co_return Result<void>{};
    Error last = make_error("releasing Lease " + lease, "no attempt made");
    for (int i = 0; i < attempts; ++i) {
        auto fetched = co_await api.get();
        if (!fetched) {
            if (fetched.error().is_not_found()) co_return Result<void>{};
            co_return make_error("reading Lease " + lease + " before releasing it", fetched.error().describe());
        }
        auto body = state.release_body(*fetched, wall_now(clock));
        if (!body) {
            // Someone else holds it now: leave their Lease alone.
            state.observe(std::move(*fetched), clock.steady_now());
            co_return Result<void>{};
        }
        auto updated = co_await api.update(*body);
        if (updated) {
            state.observe_written(std::move(*updated), clock.steady_now());
            co_return Result<void>{};
        }
        last = make_error("releasing Lease " + lease, updated.error().describe());
        if (!updated.error().is_conflict()) break;
    }
    co_return last;
}

}  // namespace gic::election
