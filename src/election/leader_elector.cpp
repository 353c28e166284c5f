#include "election/leader_elector.hpp"

#include "election/election_timing.hpp"
#include "kube/object_follower.hpp"
#include "observe/log.hpp"
#include "util/deadline.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace gic::election {

namespace asio = boost::asio;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;
using std::chrono::milliseconds;

namespace {

constexpr char component[] = "election";

std::string ms_text(milliseconds d) { return std::to_string(d.count()); }

}  // namespace

LeaderElector::LeaderElector(asio::any_io_executor executor, kube::Api& api, util::Clock& clock, ElectorConfig config,
                             EventRecorder* events, std::uint64_t seed)
    : kube_api_(api),
      clock_(clock),
      config_(std::move(config)),
      events_(events),
      lease_api_(kube_api_, config_.lease_namespace, config_.lease_name),
      api_(lease_api_, clock_, lease_request_timeout(config_.renew_deadline),
           lease_ref(config_.lease_namespace, config_.lease_name)),
      state_(config_.lease_namespace, config_.lease_name, config_.identity,
             std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration)),
      rng_(seed),
      watch_seed_(rng_()),
      wake_(executor, clock) {
    if (auto valid = validate(config_); !valid) throw ConfigError(valid.error().message);
}

LeaderElector::~LeaderElector() = default;

std::string LeaderElector::lease_display() const { return config_.lease_namespace + "/" + config_.lease_name; }

ElectionStatus LeaderElector::status() const {
    ElectionStatus s;
    s.leading = leading_;
    s.last_renew = last_renew_;
    s.terms = terms_;
    if (auto const& observed = state_.observed()) {
        s.holder = observed->holder_identity;
        s.transitions = observed->leader_transitions;
    }
    return s;
}

void LeaderElector::report(char const* what) {
    auto const message = config_.identity + " " + what;
    observe::log_info(component, message, {{"lease", lease_display()}, {"identity", config_.identity}});
    if (events_ == nullptr) return;
    auto const& lease = state_.observed_lease();
    auto involved = reference_to(lease ? lease->metadata : kube::ObjectMeta{}, "Lease", "coordination.k8s.io/v1");
    if (involved.name.empty()) {
        involved.name = config_.lease_name;
        involved.namespace_ = config_.lease_namespace;
    }
    events_->record(involved, event_normal, "LeaderElection", message);
}

awaitable<Attempt> LeaderElector::attempt() {
    auto const sequence = watch_sequence_;
    auto const sent = clock_.steady_now();
    auto result = co_await try_acquire_or_renew(api_, state_, clock_);
    if (result.outcome == Attempt::Outcome::acquired) {
        last_renew_ = clock_.wall_now();
        last_success_sent_ = sent;
    } else if (watch_sequence_ != sequence) {
        // The watch saw a change while our GET was in flight; its view may be the newer one.
        if (latest_watched_) {
            state_.observe(*latest_watched_, clock_.steady_now());
        } else {
            state_.observe_absent();
        }
    }
    co_return result;
}

awaitable<void> LeaderElector::sleep_until(SteadyTime when) {
    wake_.expires_at(when);
    // Cancelled by watched() to look again at once (false).
    (void)co_await wake_.wait();
}

void LeaderElector::watched(std::optional<Lease> lease) {
    // An unreadable Lease never gets here: the follower logs it and keeps the last one.
    if (lease) {
        state_.observe(*lease, clock_.steady_now());  // a copy shares the object as read
    } else {
        state_.observe_absent();
    }
    latest_watched_ = std::move(lease);
    ++watch_sequence_;
    wake_.cancel();
}

awaitable<void> LeaderElector::acquire_loop() {
    observe::log_info(component, "attempting to acquire the Lease",
                      {{"lease", lease_display()}, {"identity", config_.identity}});
    for (;;) {
        auto const result = co_await attempt();
        if (result.outcome == Attempt::Outcome::acquired) co_return;
        bool const failed = result.outcome == Attempt::Outcome::failed;
        auto const delay = jittered(config_.retry_period, acquire_jitter_factor, rng_);
        auto const retry_at = acquire_retry_at(failed, clock_.steady_now(), delay);
        if (failed) {
            observe::log_warning(component, "cannot acquire the Lease; retrying",
                                 {{"lease", lease_display()}, {"retry_in_ms", ms_text(delay)}, {"error", result.error}});
        } else if (auto const& observed = state_.observed()) {
            observe::log_debug(component, "the Lease is held by another replica",
                               {{"lease", lease_display()}, {"holder", observed->holder_identity}});
        }
        // Wait for the Lease to be released (the watch wakes us) or to expire by our clock.
        auto const seen = watch_sequence_;
        for (;;) {
            auto const now = clock_.steady_now();
            auto const when = next_acquire_at(state_, now, retry_at, watch_sequence_ != seen);
            if (when <= now) break;
            co_await sleep_until(when);
        }
    }
}

awaitable<void> LeaderElector::watch_lease() {
    kube::FollowedObject followed{lease_ref(config_.lease_namespace, ""), config_.lease_name, "Lease " + lease_display(),
                                  component};
    co_await kube::follow_object<Lease>(kube_api_, clock_, watch_seed_, std::move(followed), parse_lease,
                                        [this](std::optional<Lease> lease) { watched(std::move(lease)); });
}

awaitable<void> LeaderElector::follow_until_acquired() {
    leading_ = false;
    // The watch runs until the acquisition loop succeeds; then it is cancelled.
    auto both = acquire_loop() || watch_lease();
    co_await std::move(both);
}

awaitable<bool> LeaderElector::renew_round(SteadyTime deadline) {
    for (;;) {
        if (renew_given_up(clock_.steady_now(), deadline)) co_return false;
        // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
        auto bounded = util::with_deadline(clock_, deadline, attempt());
        auto const raced = co_await std::move(bounded);
        if (!raced) co_return false;  // the deadline came first
        auto const& result = *raced;
        if (result.outcome == Attempt::Outcome::acquired) co_return true;
        if (result.outcome == Attempt::Outcome::held_by_other) {
            auto const& observed = state_.observed();
            observe::log_warning(component, "the Lease is held by another replica now",
                                 {{"lease", lease_display()}, {"holder", observed ? observed->holder_identity : ""}});
            co_return false;
        }
        observe::log_warning(component, "failed to renew the Lease", {{"lease", lease_display()}, {"error", result.error}});
        co_await util::sleep_until(clock_, renew_retry_at(clock_.steady_now(), deadline, config_));
    }
}

// client-go's renew loop (leaderelection.go, renew): after a success it waits RetryPeriod, then
// gives itself RenewDeadline to renew again, trying every RetryPeriod; so a leader gives up
// RetryPeriod + RenewDeadline after its last success, and a slow API server causes no more
// hand-overs here than there. The deadline counts from when the last successful request was sent
// (client-go: from its answer), so the leader never acts past what the API server recorded plus
// those two, which --lease-duration covers (validate_timings). Unlike client-go, an attempt still
// in flight at the deadline is cancelled, and the guarded writer with it.
awaitable<void> LeaderElector::keep_renewing() {
    for (;;) {
        co_await util::sleep_until(clock_, next_renew_round_at(clock_.steady_now(), config_));
        auto const deadline = renew_deadline_at(last_success_sent_, config_);
        // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
        auto round = renew_round(deadline);
        bool const renewed = co_await std::move(round);
        if (!renewed) {
            observe::log_error(component, "failed to renew the Lease within the renew deadline; stopping leading",
                               {{"lease", lease_display()},
                                {"renew_deadline_ms", ms_text(config_.renew_deadline)},
                                {"retry_period_ms", ms_text(config_.retry_period)}});
            co_return;
        }
    }
}

namespace {

awaitable<std::exception_ptr> run_guarded(LeaderElector::Guarded guarded) {
    try {
        co_await guarded();
    } catch (...) {
        co_return std::current_exception();
    }
    co_return nullptr;
}

}  // namespace

awaitable<void> LeaderElector::lead(Guarded guarded) {
    leading_ = true;
    ++terms_;
    report("became leader");
    // The guarded work runs only while renewals succeed: when keep_renewing() returns, `||`
    // cancels it and waits for it to finish before we report.
    auto scope = run_guarded(guarded) || keep_renewing();
    auto outcome = co_await std::move(scope);
    if (outcome.index() == 0) {
        if (auto failure = std::get<0>(outcome)) std::rethrow_exception(failure);
        // The guarded work finished on its own: keep the Lease until it is lost or we stop.
        co_await keep_renewing();
    }
    leading_ = false;
    report("stopped leading");
}

awaitable<void> LeaderElector::campaign(Guarded guarded) {
    for (;;) {
        co_await follow_until_acquired();
        co_await lead(guarded);
    }
}

awaitable<void> LeaderElector::stop_and_release() {
    if (!leading_) co_return;
    leading_ = false;
    auto const budget = release_budget(config_);
    // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
    auto bounded = util::with_deadline(clock_, clock_.steady_now() + budget, release(api_, state_, clock_));
    auto const raced = co_await std::move(bounded);
    if (!raced) {
        observe::log_warning(component, "releasing the Lease timed out; it expires by itself",
                             {{"lease", lease_display()}, {"budget_ms", ms_text(budget)}});
    } else if (auto const& released = *raced; !released) {
        observe::log_warning(component, "cannot release the Lease", {{"lease", lease_display()}, {"error", released.error().message}});
    } else {
        observe::log_info(component, "released the Lease", {{"lease", lease_display()}, {"identity", config_.identity}});
    }
    report("stopped leading");
}

awaitable<void> LeaderElector::run(Guarded guarded) {
    // The campaign runs as a child so that, once it is cancelled, this coroutine can still
    // release the Lease (its own later co_awaits must not throw).
    co_await asio::this_coro::throw_if_cancelled(false);
    auto executor = co_await asio::this_coro::executor;
    auto task = campaign(std::move(guarded));
    auto spawned = asio::co_spawn(executor, std::move(task), asio::as_tuple(asio::use_awaitable));
    auto [failure] = co_await std::move(spawned);
    // A stop cancels whatever the campaign awaited; while following that is both the acquisition
    // loop and the watch, which Asio's || reports as multiple_exceptions. A stop is a stop.
    auto const cancellation = co_await asio::this_coro::cancellation_state;
    bool const stopped = cancellation.cancelled() != asio::cancellation_type::none;
    co_await asio::this_coro::reset_cancellation_state();
    // The guarded work has stopped (it ran inside the campaign): only now give the Lease away.
    co_await stop_and_release();
    // The setting belongs to the caller's coroutine chain: restore Asio's default.
    co_await asio::this_coro::throw_if_cancelled(true);
    if (failure && !stopped) std::rethrow_exception(failure);
    throw boost::system::system_error(asio::error::operation_aborted, "leader election stopped");
}

}  // namespace gic::election
