// The Rotator's decisions, table-driven, without I/O or waiting: what is stored and the time go
// in, the next step comes out.

#include "agent/decisions/rotation_plan.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

WallTime const t0 = system_clock::from_time_t(1'800'000'000);

// Exact figures: no jitter anywhere, renewal at half life.
RotationPolicy exact_policy() {
    RotationPolicy policy;
    policy.renewal = RenewalPolicy{0.5, 0.0};
    policy.backoff = util::BackoffPolicy{500ms, 2.0, 60'000ms, 0.0};
    policy.rejected_retry = 5min;
    policy.max_sleep = 5min;
    policy.idle_settle = 10s;
    return policy;
}

// A valid stored leaf issued at t0 (istiod back-dates NotBefore by two minutes) for 24 h.
StoredState valid_leaf(std::string serial = "01", bool roots_current = true) {
    return StoredState{StoredState::Kind::valid, std::move(serial), t0 - 2min, t0 + 24h, roots_current};
}

StoredState of_kind(StoredState::Kind kind) {
    StoredState stored;
    stored.kind = kind;
    return stored;
}

char const* name(RotationStep::Kind kind) {
    switch (kind) {
        case RotationStep::Kind::reuse: return "reuse";
        case RotationStep::Kind::rewrite_roots: return "rewrite_roots";
        case RotationStep::Kind::issue: return "issue";
        case RotationStep::Kind::back_off: return "back_off";
    }
    return "?";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rotation_plan)

BOOST_AUTO_TEST_CASE(decides_from_what_is_stored) {
    using K = RotationStep::Kind;
    struct Case {
        char const* name;
        StoredState stored;
        WallTime now;
        K expected;
        std::optional<WallTime> at;  // the step's time, when it has one
    };
    // Renewal of the stored leaf: half-way from NotBefore + 2 min (t0) to NotAfter: t0 + 12 h.
    std::vector<Case> const cases = {
        {"unreadable store backs off", of_kind(StoredState::Kind::unreadable), t0, K::back_off, t0 + 500ms},
        {"nothing stored is issued", of_kind(StoredState::Kind::empty), t0, K::issue, std::nullopt},
        {"unusable material is issued anew", of_kind(StoredState::Kind::unusable), t0, K::issue, std::nullopt},
        {"an invalid certificate is issued anew", of_kind(StoredState::Kind::invalid), t0, K::issue, std::nullopt},
        {"a valid certificate is reused until renewal", valid_leaf(), t0 + 1h, K::reuse, t0 + 12h},
        {"a valid certificate with an old ca.crt gets the new one", valid_leaf("01", false), t0 + 1h, K::rewrite_roots,
         t0 + 12h},
        {"a certificate due for renewal is issued anew", valid_leaf(), t0 + 12h, K::issue, std::nullopt},
        {"an old ca.crt on a due certificate is issued anew", valid_leaf("01", false), t0 + 13h, K::issue, std::nullopt},
        {"a wall clock behind NotBefore still reuses", valid_leaf(), t0 - 1h, K::reuse, t0 + 12h},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            RotationPlan plan(exact_policy(), 1);
            auto const step = plan.on_stored(c.stored, c.now);
            BOOST_TEST(name(step.kind) == name(c.expected));
            if (c.at) BOOST_TEST((step.at == *c.at));
            if (step.kind == K::back_off) {
                BOOST_TEST((step.reason == BackOffReason::read_failed));
                BOOST_TEST(step.delay.count() == 500);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(renewal_time_is_drawn_once_per_serial) {
    RotationPolicy policy = exact_policy();
    policy.renewal.jitter = 0.01;
    RotationPlan plan(policy, 7);
    auto const first = plan.on_stored(valid_leaf("aa"), t0);
    // +-1 % of 24 h around half life.
    BOOST_TEST((first.at >= t0 + 12h - 864s));
    BOOST_TEST((first.at <= t0 + 12h + 864s));
    // Looking again (a max_sleep wake, a root change) keeps the time however often it is asked.
    for (int i = 0; i < 20; ++i) BOOST_TEST((plan.on_stored(valid_leaf("aa"), t0 + minutes(i)).at == first.at));
    // A certificate just issued is scheduled from its receive time, and keeps that time when read back.
    auto const due = plan.on_issued("bb", t0 + 1h, t0 + 25h);
    BOOST_TEST((due >= t0 + 13h - 864s));
    BOOST_TEST((due <= t0 + 13h + 864s));
    StoredState const read_back{StoredState::Kind::valid, "bb", t0 + 1h - 2min, t0 + 25h, true};
    BOOST_TEST((plan.on_stored(read_back, t0 + 2h).at == due));
}

BOOST_AUTO_TEST_CASE(the_same_seed_replays_the_same_times) {
    RotationPolicy policy = exact_policy();
    policy.renewal.jitter = 0.01;
    policy.backoff.jitter = 0.2;
    RotationPlan a(policy, 42);
    RotationPlan b(policy, 42);
    RotationPlan other(policy, 43);
    auto const at_a = a.on_stored(valid_leaf(), t0).at;
    BOOST_TEST((at_a == b.on_stored(valid_leaf(), t0).at));
    BOOST_TEST((at_a != other.on_stored(valid_leaf(), t0).at));
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(a.on_issue_failed(IssueFailure::ca_retriable, t0).delay.count() ==
                   b.on_issue_failed(IssueFailure::ca_retriable, t0).delay.count());
}

BOOST_AUTO_TEST_CASE(backs_off_after_issue_failures) {
    struct Case {
        char const* name;
        IssueFailure kind;
        BackOffReason reason;
        long first_ms;   // the first delay
        long second_ms;  // the next one
        bool rebuild_channel;
    };
    std::vector<Case> const cases = {
        {"CA unavailable: exponential", IssueFailure::ca_retriable, BackOffReason::issue_failed, 500, 1000, true},
        {"token refused: exponential", IssueFailure::unauthenticated, BackOffReason::issue_failed, 500, 1000, true},
        {"bad answer: exponential", IssueFailure::invalid_response, BackOffReason::issue_failed, 500, 1000, true},
        {"local failure: exponential, same channel", IssueFailure::local, BackOffReason::issue_failed, 500, 1000, false},
        {"rejected request: slow", IssueFailure::ca_rejected, BackOffReason::issue_rejected, 300'000, 300'000, true},
        {"other trust domain: slow", IssueFailure::misconfigured, BackOffReason::issue_rejected, 300'000, 300'000, true},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            RotationPlan plan(exact_policy(), 1);
            auto const first = plan.on_issue_failed(c.kind, t0);
            BOOST_TEST((first.kind == RotationStep::Kind::back_off));
            BOOST_TEST((first.reason == c.reason));
            BOOST_TEST(first.delay.count() == c.first_ms);
            BOOST_TEST((first.at == t0 + milliseconds(c.first_ms)));
            BOOST_TEST(first.rebuild_channel == c.rebuild_channel);
            BOOST_TEST(first.tell);  // the first failure of a run is told
            auto const second = plan.on_issue_failed(c.kind, t0 + first.delay);
            BOOST_TEST(second.delay.count() == c.second_ms);
            BOOST_TEST(!second.tell);  // not every retry
        }
    }
}

BOOST_AUTO_TEST_CASE(backoff_grows_to_its_cap_and_success_resets_it) {
    RotationPlan plan(exact_policy(), 1);
    std::vector<long> delays;
    for (int i = 0; i < 9; ++i) delays.push_back(plan.on_issue_failed(IssueFailure::ca_retriable, t0).delay.count());
    BOOST_TEST(delays == (std::vector<long>{500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000}),
               boost::test_tools::per_element());
    plan.on_issue_completed();
    auto const after = plan.on_issue_failed(IssueFailure::ca_retriable, t0);
    BOOST_TEST(after.delay.count() == 500);
    BOOST_TEST(after.tell);  // a new run of failures
    // A reuse resets it too; a failed read grows it like any other failure.
    BOOST_TEST(plan.on_stored(of_kind(StoredState::Kind::unreadable), t0).delay.count() == 1000);
    BOOST_TEST((plan.on_stored(valid_leaf(), t0).kind == RotationStep::Kind::reuse));
    BOOST_TEST(plan.on_stored(of_kind(StoredState::Kind::unreadable), t0).delay.count() == 500);
    // So does a completed write (a new ca.crt).
    plan.on_written();
    BOOST_TEST(plan.on_stored(of_kind(StoredState::Kind::unreadable), t0).delay.count() == 500);
}

BOOST_AUTO_TEST_CASE(rewriting_roots_leaves_the_backoff_until_written) {
    RotationPlan plan(exact_policy(), 1);
    BOOST_TEST(plan.on_stored(of_kind(StoredState::Kind::unreadable), t0).delay.count() == 500);
    BOOST_TEST((plan.on_stored(valid_leaf("01", false), t0).kind == RotationStep::Kind::rewrite_roots));
    BOOST_TEST(plan.on_write_failed(t0 - 2min, t0 + 24h, t0).delay.count() == 1000);
}

BOOST_AUTO_TEST_CASE(write_retries_while_comfortably_valid) {
    // A 24 h certificate from t0: comfortably valid until t0 + 12 h (half its life).
    struct Case {
        char const* name;
        WallTime now;
        int earlier_failures;  // each doubles the next delay
        bool give_up;
        long delay_ms;
    };
    std::vector<Case> const cases = {
        {"fresh: retry", t0, 0, false, 500},
        {"after a few failures: retry later", t0 + 1h, 3, false, 4000},
        {"the retry would land just at half life: retry", t0 + 12h - 500ms, 0, false, 500},
        {"the retry would land past half life: give up", t0 + 12h - 499ms, 0, true, 500},
        {"a long backoff past half life: give up", t0 + 11h + 59min + 30s, 6, true, 32000},
        {"past half life: give up", t0 + 13h, 0, true, 500},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            RotationPlan plan(exact_policy(), 1);
            for (int i = 0; i < c.earlier_failures; ++i) plan.on_write_failed(t0, t0 + 24h, t0);
            auto const retry = plan.on_write_failed(t0, t0 + 24h, c.now);
            BOOST_TEST(retry.give_up == c.give_up);
            BOOST_TEST(retry.delay.count() == c.delay_ms);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_given_up_write_is_told_once_per_run_of_failures) {
    RotationPlan plan(exact_policy(), 1);
    BOOST_TEST(plan.on_issued_write_given_up());
    BOOST_TEST(!plan.on_issued_write_given_up());
    BOOST_TEST(!plan.on_issue_failed(IssueFailure::ca_retriable, t0).tell);  // the same outage
    plan.on_issue_completed();
    BOOST_TEST(plan.on_issued_write_given_up());
}

BOOST_AUTO_TEST_CASE(sleeps_are_capped_and_quiet_spells_settle_first) {
    struct Case {
        char const* name;
        WallTime due;
        WallTime now;
        milliseconds settle;
        bool due_now;
        long sleep_ms;
        bool quiet;
    };
    std::vector<Case> const cases = {
        {"due: look now", t0, t0, 10s, true, 0, false},
        {"overdue (the wall clock jumped forward): look now", t0, t0 + 1h, 10s, true, 0, false},
        {"a retry soon: sleep until it, no settling", t0 + 15s, t0, 10s, false, 15'000, false},
        {"a retry within twice the settle time is not quiet", t0 + 20s, t0, 10s, false, 20'000, false},
        {"hours away, first sleep: settle first", t0 + 12h, t0, 10s, false, 10'000, true},
        {"hours away, later sleeps: max_sleep", t0 + 12h, t0, 5min, false, 300'000, true},
        {"due within max_sleep: until due", t0 + 3min, t0, 5min, false, 180'000, true},
        {"rounded up to the next millisecond, never early", t0 + 90s + 500us, t0, 5min, false, 90'001, true},
        {"the wall clock jumped back: still capped", t0 + 12h, t0 - 24h, 5min, false, 300'000, true},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            RotationPlan const plan(exact_policy(), 1);
            auto const wait = plan.wait_before(c.due, c.now, c.settle);
            BOOST_TEST(wait.due == c.due_now);
            BOOST_TEST(wait.sleep.count() == c.sleep_ms);
            BOOST_TEST(wait.quiet == c.quiet);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
