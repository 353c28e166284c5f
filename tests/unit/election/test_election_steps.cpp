// tryAcquireOrRenew and release against an in-memory Lease, with an injected clock: the calls made,
// the records written, and interop with a Lease written by a client-go elector.

#include "common/virtual_clock.hpp"
#include "election/election_steps.hpp"
#include "fake_lease_api.hpp"
#include "util/time_format.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace gic;
using namespace gic::election;
using gic::election::test::FakeLeaseApi;
namespace json = boost::json;
using std::chrono::seconds;
using Outcome = Attempt::Outcome;
using Calls = std::vector<std::string>;

namespace {

char const* const self = "gateway-1_aaaa";

struct Fixture {
    testing::VirtualTime time{*util::parse_rfc3339("2026-11-29T16:00:00.000000Z")};
    testing::VirtualClock clock{time};
    FakeLeaseApi api;
    ElectionState state{"ns", "gic", self, seconds(15)};

    void advance(seconds d) { time.advance_to(time.now() + d); }
    template <class T>
    T run(boost::asio::awaitable<T> op) {
        boost::asio::io_context io;
        auto f = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
        io.run();
        return f.get();
    }
    Attempt attempt() {
        api.calls.clear();
        return run(try_acquire_or_renew(api, state, clock));
    }
    LeaderElectionRecord stored() const { return *record_from_lease(*api.lease); }
};

json::object client_go_spec(char const* holder, int duration, int transitions) {
    return json::object{{"holderIdentity", holder},
                        {"leaseDurationSeconds", duration},
                        {"acquireTime", "2026-11-29T15:46:26.123456Z"},
                        {"renewTime", "2026-11-29T15:59:59.654321Z"},
                        {"leaseTransitions", transitions}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(election_steps)

BOOST_FIXTURE_TEST_CASE(creates_a_missing_lease_then_renews_on_the_fast_path, Fixture) {
    auto first = attempt();
    BOOST_TEST(int(first.outcome) == int(Outcome::acquired));
    BOOST_TEST(api.calls == (Calls{"get", "create"}), boost::test_tools::per_element());
    BOOST_TEST(stored().holder_identity == self);
    BOOST_TEST(stored().leader_transitions == 0);
    BOOST_TEST(api.spec().at("acquireTime").as_string() == "2026-11-29T16:00:00.000000Z");
    BOOST_TEST(state.is_leader());

    advance(seconds(2));
    auto renewed = attempt();
    BOOST_TEST(int(renewed.outcome) == int(Outcome::acquired));
    BOOST_TEST(api.calls == (Calls{"update"}), boost::test_tools::per_element());  // no GET while leading
    BOOST_TEST(api.spec().at("acquireTime").as_string() == "2026-11-29T16:00:00.000000Z");
    BOOST_TEST(api.spec().at("renewTime").as_string() == "2026-11-29T16:00:02.000000Z");
    BOOST_TEST(stored().leader_transitions == 0);
}

BOOST_FIXTURE_TEST_CASE(fast_path_conflict_falls_back_to_get_and_put, Fixture) {
    BOOST_TEST_REQUIRE(int(attempt().outcome) == int(Outcome::acquired));
    api.touch_metadata();  // someone labelled the Lease: our cached resourceVersion is stale
    advance(seconds(2));
    auto renewed = attempt();
    BOOST_TEST(int(renewed.outcome) == int(Outcome::acquired));
    BOOST_TEST(api.calls == (Calls{"update", "get", "update"}), boost::test_tools::per_element());
    BOOST_TEST(api.lease->at("metadata").at("labels").as_object().contains("touched"));
    BOOST_TEST(stored().leader_transitions == 0);
}

BOOST_FIXTURE_TEST_CASE(respects_a_client_go_holder_until_it_expires_by_our_clock, Fixture) {
    api.put_foreign(client_go_spec("controller-7f9c_3b0c1a2e", 15, 4));
    auto held = attempt();
    BOOST_TEST(int(held.outcome) == int(Outcome::held_by_other));
    BOOST_TEST(api.calls == (Calls{"get"}), boost::test_tools::per_element());
    advance(seconds(14));
    BOOST_TEST(int(attempt().outcome) == int(Outcome::held_by_other));
    advance(seconds(1));
    auto taken = attempt();
    BOOST_TEST(int(taken.outcome) == int(Outcome::acquired));
    BOOST_TEST(api.calls == (Calls{"get", "update"}), boost::test_tools::per_element());
    // The record a client-go elector would read back: ours, transitions + 1, MicroTime, no extras.
    auto const& spec = api.spec();
    BOOST_TEST(spec.at("holderIdentity").as_string() == self);
    BOOST_TEST(spec.at("leaseTransitions").as_int64() == 5);
    BOOST_TEST(spec.at("leaseDurationSeconds").as_int64() == 15);
    BOOST_TEST(spec.at("acquireTime").as_string() == "2026-11-29T16:00:15.000000Z");
    BOOST_TEST(spec.at("renewTime").as_string() == "2026-11-29T16:00:15.000000Z");
    BOOST_TEST(spec.size() == 5u);
}

BOOST_FIXTURE_TEST_CASE(a_foreign_renewal_restarts_our_clock, Fixture) {
    api.put_foreign(client_go_spec("controller-7f9c_3b0c1a2e", 15, 4));
    BOOST_TEST(int(attempt().outcome) == int(Outcome::held_by_other));
    advance(seconds(10));
    api.lease->at("spec").as_object()["renewTime"] = "2026-11-29T16:00:09.000000Z";
    api.touch_metadata();
    BOOST_TEST(int(attempt().outcome) == int(Outcome::held_by_other));
    advance(seconds(10));  // 20 s after the first look, 10 s after the change
    BOOST_TEST(int(attempt().outcome) == int(Outcome::held_by_other));
    advance(seconds(5));
    BOOST_TEST(int(attempt().outcome) == int(Outcome::acquired));
}

BOOST_FIXTURE_TEST_CASE(a_released_lease_is_taken_at_once, Fixture) {
    api.put_foreign(client_go_spec("", 1, 9));
    auto taken = attempt();
    BOOST_TEST(int(taken.outcome) == int(Outcome::acquired));
    BOOST_TEST(stored().leader_transitions == 10);
}

struct FailureCase {
    char const* name;
    char const* verb;
    int code;
    bool lease_exists;
    Calls calls;
};

BOOST_AUTO_TEST_CASE(api_errors_are_failed_attempts_without_further_writes) {
    std::vector<FailureCase> const cases = {
        {"GET 500", "get", 500, true, {"get"}},
        {"GET 403", "get", 403, false, {"get"}},
        {"create AlreadyExists (another replica was first)", "create", 409, false, {"get", "create"}},
        {"PUT 409 (another replica took it first)", "update", 409, true, {"get", "update"}},
        {"PUT 503", "update", 503, true, {"get", "update"}},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            Fixture f;
            if (c.lease_exists) f.api.put_foreign(client_go_spec("", 1, 0));
            f.api.fail_next[c.verb].push_back(c.code);
            auto result = f.attempt();
            BOOST_TEST(int(result.outcome) == int(Outcome::failed));
            BOOST_TEST(result.error.find("Lease ns/gic") != std::string::npos, result.error);
            BOOST_TEST(f.api.calls == c.calls, boost::test_tools::per_element());
            BOOST_TEST(f.api.writes.empty());
            BOOST_TEST(!f.state.is_leader());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(release_blanks_only_our_own_lease, Fixture) {
    // Never led: no call at all.
    api.put_foreign(client_go_spec("controller-7f9c_3b0c1a2e", 15, 4));
    BOOST_TEST(run(release(api, state, clock)).has_value());
    BOOST_TEST(api.calls.empty());

    BOOST_TEST_REQUIRE(int(attempt().outcome) == int(Outcome::held_by_other));
    api.calls.clear();
    BOOST_TEST(run(release(api, state, clock)).has_value());  // still not ours: no call
    BOOST_TEST(api.calls.empty());
    advance(seconds(15));
    BOOST_TEST_REQUIRE(int(attempt().outcome) == int(Outcome::acquired));
    advance(seconds(1));
    api.calls.clear();
    BOOST_TEST(run(release(api, state, clock)).has_value());
    BOOST_TEST(api.calls == (Calls{"get", "update"}), boost::test_tools::per_element());
    auto const& spec = api.spec();
    BOOST_TEST(spec.at("holderIdentity").as_string() == "");
    BOOST_TEST(spec.at("leaseDurationSeconds").as_int64() == 1);
    BOOST_TEST(spec.at("leaseTransitions").as_int64() == 5);
    BOOST_TEST(spec.at("acquireTime").as_string() == "2026-11-29T16:00:16.000000Z");
    BOOST_TEST(spec.at("renewTime").as_string() == "2026-11-29T16:00:16.000000Z");
}

BOOST_FIXTURE_TEST_CASE(release_leaves_a_new_leaders_lease_alone, Fixture) {
    BOOST_TEST_REQUIRE(int(attempt().outcome) == int(Outcome::acquired));
    api.put_foreign(client_go_spec("controller-7f9c_3b0c1a2e", 15, 1));  // taken over behind our back
    api.calls.clear();
    BOOST_TEST(run(release(api, state, clock)).has_value());
    BOOST_TEST(api.calls == (Calls{"get"}), boost::test_tools::per_element());
    BOOST_TEST(api.spec().at("holderIdentity").as_string() == "controller-7f9c_3b0c1a2e");
}

BOOST_FIXTURE_TEST_CASE(release_retries_a_conflict_and_reports_other_errors, Fixture) {
    BOOST_TEST_REQUIRE(int(attempt().outcome) == int(Outcome::acquired));
    api.fail_next["update"] = {409};
    api.calls.clear();
    BOOST_TEST(run(release(api, state, clock)).has_value());
    BOOST_TEST(api.calls == (Calls{"get", "update", "get", "update"}), boost::test_tools::per_element());
    BOOST_TEST(api.spec().at("holderIdentity").as_string() == "");

    Fixture g;
    BOOST_TEST_REQUIRE(int(g.attempt().outcome) == int(Outcome::acquired));
    g.api.fail_next["update"] = {500};
    auto failed = g.run(release(g.api, g.state, g.clock));
    BOOST_TEST_REQUIRE(!failed.has_value());
    BOOST_TEST(failed.error().message.find("releasing Lease ns/gic") == 0, failed.error().message);
    BOOST_TEST(g.api.spec().at("holderIdentity").as_string() == self);
}

BOOST_AUTO_TEST_SUITE_END()
