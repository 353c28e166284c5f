// When the elector acts (election_timing): the rules its coroutines follow, without waiting.

#include "election/election_timing.hpp"
#include "util/time_format.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace gic;
using namespace gic::election;
namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

SteadyTime const t0{std::chrono::hours(1000)};

ElectorConfig timings() {
    ElectorConfig config;  // lease 15 s, renew deadline 10 s, retry period 2 s
    config.lease_namespace = "ns";
    config.lease_name = "gic";
    config.identity = "self";
    return config;
}

Lease lease_held_by(char const* holder, int duration_seconds) {
    return parse_lease(json::object{
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", json::object{{"name", "gic"}, {"namespace", "ns"}, {"resourceVersion", "7"}}},
        {"spec", json::object{{"holderIdentity", holder},
                              {"leaseDurationSeconds", duration_seconds},
                              {"acquireTime", "2026-12-07T11:00:00.000000Z"},
                              {"renewTime", "2026-12-07T11:59:59.000000Z"},
                              {"leaseTransitions", 3}}}})
        .value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(election_timing)

BOOST_AUTO_TEST_CASE(jitter_stretches_the_retry_period_by_up_to_the_factor_and_follows_the_seed) {
    std::mt19937_64 rng(42);
    milliseconds low = milliseconds::max(), high = milliseconds::zero();
    for (int i = 0; i < 1000; ++i) {
        auto const d = jittered(2s, acquire_jitter_factor, rng);
        low = std::min(low, d);
        high = std::max(high, d);
    }
    BOOST_TEST(low.count() >= 2000);
    BOOST_TEST(high.count() < 4400);
    // Spread over the range, not a constant.
    BOOST_TEST(low.count() < 2200);
    BOOST_TEST(high.count() > 4200);
    std::mt19937_64 again(42), other(43);
    auto const first = jittered(2s, acquire_jitter_factor, again);
    std::mt19937_64 replay(42);
    BOOST_TEST(jittered(2s, acquire_jitter_factor, replay).count() == first.count());
    BOOST_TEST(jittered(2s, acquire_jitter_factor, other).count() != first.count());
}

BOOST_AUTO_TEST_CASE(a_failed_attempt_is_retried_after_the_delay_one_that_met_a_holder_waits_for_the_lease) {
    BOOST_TEST((acquire_retry_at(true, t0, 2500ms) == t0 + 2500ms));
    BOOST_TEST((acquire_retry_at(false, t0, 2500ms) == SteadyTime::max()));
}

BOOST_AUTO_TEST_CASE(a_follower_tries_next_at_the_expiry_by_its_clock_or_its_retry_time_whichever_is_first) {
    ElectionState state("ns", "gic", "self", std::chrono::seconds(15));
    auto const none = SteadyTime::max();  // the last attempt met a holder: no retry time
    // Nothing observed (absent): at once.
    BOOST_TEST((next_acquire_at(state, t0, none, false) == t0));
    // Held by another for 15 s, observed at t0: its expiry by our clock.
    state.observe(lease_held_by("other", 15), t0);
    BOOST_TEST((next_acquire_at(state, t0 + 1s, none, false) == t0 + 15s));
    BOOST_TEST((next_acquire_at(state, t0 + 1s, none, true) == t0 + 15s));
    // After a failure, the retry time when it comes first, and the expiry when that does (the
    // watch saw the Lease change).
    BOOST_TEST((next_acquire_at(state, t0 + 1s, t0 + 3s, false) == t0 + 3s));
    BOOST_TEST((next_acquire_at(state, t0 + 1s, t0 + 3s, true) == t0 + 3s));
    BOOST_TEST((next_acquire_at(state, t0 + 14s, t0 + 17s, true) == t0 + 15s));
    // Released (holder ""): at once, once the watch showed it.
    state.observe(lease_held_by("", 1), t0 + 5s);
    BOOST_TEST((next_acquire_at(state, t0 + 5s, none, false) == t0 + 5s));
    BOOST_TEST((next_acquire_at(state, t0 + 5s, t0 + 7s, true) == t0 + 5s));
}

BOOST_AUTO_TEST_CASE(after_a_failure_nothing_seen_before_it_brings_the_next_attempt_forward) {
    ElectionState state("ns", "gic", "self", std::chrono::seconds(15));
    // Absent, or expired by our clock: both say "now", but the attempt just failed (the API
    // refused or did not answer); without a change the retry time holds.
    BOOST_TEST((next_acquire_at(state, t0, t0 + 2500ms, false) == t0 + 2500ms));
    state.observe(lease_held_by("other", 15), t0);
    BOOST_TEST((next_acquire_at(state, t0 + 20s, t0 + 22s, false) == t0 + 22s));
}

BOOST_AUTO_TEST_CASE(the_renew_deadline_counts_retry_period_plus_renew_deadline_from_the_last_success_sent) {
    auto const config = timings();
    BOOST_TEST((renew_deadline_at(t0, config) == t0 + 12s));
    BOOST_TEST((next_renew_round_at(t0 + 300ms, config) == t0 + 2300ms));
    auto const deadline = renew_deadline_at(t0, config);
    // A failed renewal is retried one period later, never past the deadline.
    BOOST_TEST((renew_retry_at(t0 + 2s, deadline, config) == t0 + 4s));
    BOOST_TEST((renew_retry_at(t0 + 11s, deadline, config) == deadline));
    BOOST_TEST(!renew_given_up(deadline - 1ns, deadline));
    BOOST_TEST(renew_given_up(deadline, deadline));
    BOOST_TEST(renew_given_up(deadline + 1s, deadline));
}

BOOST_AUTO_TEST_CASE(the_release_gets_400_ms_or_the_renew_deadline_when_shorter) {
    auto config = timings();
    BOOST_TEST(release_budget(config).count() == 400);
    config.renew_deadline = 300ms;
    BOOST_TEST(release_budget(config).count() == 300);
}

BOOST_AUTO_TEST_SUITE_END()
