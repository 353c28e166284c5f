#include "election/election_steps.hpp"

#include "observe/log.hpp"

namespace gic::election {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

constexpr char component[] = "election";

Attempt failed(std::string what, ElectionState const& state, std::string const& detail) {
    Attempt a;
    a.outcome = Attempt::Outcome::failed;
    a.error = what + " Lease " + state.lease_namespace() + "/" + state.lease_name() + ": " + detail;
    return a;
}

Attempt acquired() {
    Attempt a;
    a.outcome = Attempt::Outcome::acquired;
    return a;
}

Attempt written(ElectionState& state, json::object const& lease, Clocks const& clocks, char const* what) {
    if (auto observed = state.observe_written(lease, clocks.steady()); !observed)
        return failed(what, state, "the server answered with " + observed.error().message);
    return acquired();
}

}  // namespace

awaitable<Attempt> try_acquire_or_renew(LeaseApi& api, ElectionState& state, Clocks const& clocks) {
    // Fast path: we lead and the lease has not expired by our clock: renew the cached object.
    if (auto body = state.fast_renew_body(clocks.steady(), clocks.wall())) {
        auto const renewed = co_await api.update(*body);
        if (renewed) co_return written(state, *renewed, clocks, "renewing");
        observe::log_debug(component, "renewal from the cached Lease failed; re-reading it",
                           {{"lease", state.lease_namespace() + "/" + state.lease_name()},
                            {"error", renewed.error().describe()}});
    }
    auto const fetched = co_await api.get();
    std::optional<json::object> current;
    if (fetched) {
        current = *fetched;
    } else if (!fetched.error().is_not_found()) {
        co_return failed("reading", state, fetched.error().describe());
    }
    auto decision = state.decide_after_get(current, clocks.steady(), clocks.wall());
    switch (decision.kind) {
    case AcquireDecision::Kind::invalid:
        co_return failed("reading", state, decision.error);
    case AcquireDecision::Kind::held_by_other: {
        Attempt a;
        a.outcome = Attempt::Outcome::held_by_other;
        co_return a;
    }
    case AcquireDecision::Kind::create: {
        auto const created = co_await api.create(decision.body);
        if (!created) co_return failed("creating", state, created.error().describe());
        co_return written(state, *created, clocks, "creating");
    }
    case AcquireDecision::Kind::update: {
        auto const updated = co_await api.update(decision.body);
        if (!updated) co_return failed("updating", state, updated.error().describe());
        co_return written(state, *updated, clocks, "updating");
    }
    }
    co_return failed("deciding on", state, "unknown decision");
}

awaitable<Result<void>> release(LeaseApi& api, ElectionState& state, Clocks const& clocks, int attempts) {
    auto const lease = state.lease_namespace() + "/" + state.lease_name();
    // Never led (or already lost it by what we saw last): nothing of ours to release.
    if (!state.is_leader()) co_return Result<void>{};
    Error last = make_error("releasing Lease " + lease, "no attempt made");
    for (int i = 0; i < attempts; ++i) {
        auto const fetched = co_await api.get();
        if (!fetched) {
            if (fetched.error().is_not_found()) co_return Result<void>{};
            co_return make_error("reading Lease " + lease + " before releasing it", fetched.error().describe());
        }
        auto body = state.release_body(*fetched, clocks.wall());
        if (!body) {
            // Someone else holds it now: leave their Lease alone.
            (void)state.observe(*fetched, clocks.steady());
            co_return Result<void>{};
        }
        auto const updated = co_await api.update(*body);
        if (updated) {
            (void)state.observe_written(*updated, clocks.steady());
            co_return Result<void>{};
        }
        last = make_error("releasing Lease " + lease, updated.error().describe());
        if (!updated.error().is_conflict()) break;
    }
    co_return last;
}

}  // namespace gic::election
