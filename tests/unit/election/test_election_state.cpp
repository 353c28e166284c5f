// The decision of tryAcquireOrRenew, table-driven, with an injected clock. Expiry is measured from
// the local observation of a change plus the record's leaseDurationSeconds, never renewTime.

#include "election/election_state.hpp"
#include "util/time_format.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <vector>

using namespace gic;
using namespace gic::election;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

SteadyTime const t0 = SteadyTime(std::chrono::hours(1000));
WallTime const wall0 = to_wall_time(*util::parse_rfc3339("2026-11-29T16:00:00.000000Z"));
char const* const self = "gateway-1_aaaa";

Lease lease_of(std::string const& holder, int duration, int transitions, std::string const& rv,
               char const* renew = "2020-01-01T00:00:00.000000Z") {
    json::object lease;
    lease["apiVersion"] = "coordination.k8s.io/v1";
    lease["kind"] = "Lease";
    lease["metadata"] = json::object{{"name", "gic"}, {"namespace", "ns"}, {"resourceVersion", rv}};
    lease["spec"] = json::object{{"holderIdentity", holder},
                                 {"leaseDurationSeconds", duration},
                                 {"acquireTime", "2019-12-31T23:00:00.000000Z"},
                                 {"renewTime", renew},
                                 {"leaseTransitions", transitions}};
    return parse_lease(lease).value();
}

struct Observation {
    seconds at;  // after t0
    Lease lease;
};

struct Case {
    char const* name;
    std::vector<Observation> before;     // what we saw earlier (GET, watch)
    std::optional<Lease> fetched;         // the GET at decision time (nullopt = 404)
    seconds now;                          // decision time after t0
    AcquireDecision::Kind expected;
    int expected_transitions = 0;
    bool keeps_acquire_time = false;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(election_state)

BOOST_AUTO_TEST_CASE(decides_like_client_go) {
    using K = AcquireDecision::Kind;
    auto const other = lease_of("other_bbbb", 15, 3, "10");
    std::vector<Case> const cases = {
        {"no Lease: create with transitions 0", {}, std::nullopt, seconds(0), K::create, 0},
        {"held by another, first seen now: not expired", {}, other, seconds(0), K::held_by_other},
        {"held by another, 14 s after we first saw it", {{seconds(0), other}}, other, seconds(14), K::held_by_other},
        {"held by another, unchanged for 15 s: expired, take over", {{seconds(0), other}}, other, seconds(15), K::update, 4},
        {"renewed by its holder at 10 s: the clock restarts", {{seconds(0), other}},
         lease_of("other_bbbb", 15, 3, "11", "2020-01-01T00:00:10.000000Z"), seconds(20), K::held_by_other},
        {"a metadata-only change does not restart the clock", {{seconds(0), other}},
         lease_of("other_bbbb", 15, 3, "12"), seconds(16), K::update, 4},
        {"the record's duration (60 s) counts, not ours (15 s)", {{seconds(0), lease_of("other_bbbb", 60, 3, "10")}},
         lease_of("other_bbbb", 60, 3, "10"), seconds(30), K::held_by_other},
        {"a renewTime far in the past is no expiry", {}, lease_of("other_bbbb", 15, 3, "10", "1999-01-01T00:00:00.000000Z"),
         seconds(1), K::held_by_other},
        {"released (empty holder): take it at once", {}, lease_of("", 1, 3, "13"), seconds(0), K::update, 4},
        {"we hold it: keep acquireTime and transitions", {}, lease_of(self, 15, 5, "14"), seconds(0), K::update, 5, true},
        {"we hold it even when our view says expired", {{seconds(0), lease_of(self, 15, 5, "14")}},
         lease_of(self, 15, 5, "14"), seconds(40), K::update, 5, true},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            ElectionState state("ns", "gic", self, seconds(15));
            for (auto const& o : c.before) state.observe(o.lease, t0 + o.at);
            auto const wall_now = wall0 + c.now;
            auto decision = state.decide_after_get(c.fetched, t0 + c.now, wall_now);
            BOOST_TEST_REQUIRE(int(decision.kind) == int(c.expected));
            if (c.expected != K::create && c.expected != K::update) continue;
            auto const* record = &decision.body.record;
            BOOST_TEST(record->holder_identity == self);
            BOOST_TEST(record->lease_duration_seconds == 15);
            BOOST_TEST(record->leader_transitions == c.expected_transitions);
            BOOST_TEST((record->renew_time == wall_now));
            if (c.keeps_acquire_time) {
                BOOST_TEST((record->acquire_time == c.fetched->record.acquire_time));
            } else {
                BOOST_TEST((record->acquire_time == wall_now));
            }
            if (c.expected == K::update) {
                // Optimistic concurrency on the version just read.
                BOOST_TEST(decision.body.metadata.resource_version == c.fetched->metadata.resource_version);
                BOOST_TEST((*decision.body.raw == *c.fetched->raw));  // every field as read goes back
            } else {
                BOOST_TEST(decision.body.metadata.resource_version.empty());
                BOOST_TEST(decision.body.metadata.name == "gic");
                BOOST_TEST(decision.body.metadata.namespace_ == "ns");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(fast_path_only_while_leading_and_unexpired) {
    ElectionState state("ns", "gic", self, seconds(15));
    BOOST_TEST(!state.fast_renew_body(t0, wall0).has_value());
    state.observe_written(lease_of(self, 15, 2, "20"), t0);
    auto body = state.fast_renew_body(t0 + seconds(14), wall0 + seconds(14));
    BOOST_TEST_REQUIRE(body.has_value());
    auto const& record = body->record;
    BOOST_TEST(record.leader_transitions == 2);
    BOOST_TEST((record.acquire_time == lease_of(self, 15, 2, "20").record.acquire_time));
    BOOST_TEST((record.renew_time == wall0 + seconds(14)));
    BOOST_TEST(body->metadata.resource_version == "20");
    BOOST_TEST(!state.fast_renew_body(t0 + seconds(15), wall0 + seconds(15)).has_value());
    state.observe(lease_of("other_bbbb", 15, 3, "21"), t0 + seconds(1));
    BOOST_TEST(!state.fast_renew_body(t0 + seconds(2), wall0).has_value());
}

BOOST_AUTO_TEST_CASE(chance_to_acquire_follows_observations) {
    ElectionState state("ns", "gic", self, seconds(15));
    BOOST_TEST((state.chance_at(t0) == t0));  // nothing known: try now
    state.observe(lease_of("other_bbbb", 20, 1, "1"), t0);
    BOOST_TEST((state.chance_at(t0) == t0 + seconds(20)));
    state.observe(lease_of("other_bbbb", 20, 1, "2"), t0 + seconds(5));
    BOOST_TEST((state.chance_at(t0 + seconds(5)) == t0 + seconds(20)));  // metadata only: same expiry
    state.observe(lease_of("other_bbbb", 20, 1, "3", "2020-01-01T00:00:02.000000Z"), t0 + seconds(6));
    BOOST_TEST((state.chance_at(t0 + seconds(6)) == t0 + seconds(26)));  // renewed: re-armed
    state.observe(lease_of("", 1, 1, "4"), t0 + seconds(7));
    BOOST_TEST((state.chance_at(t0 + seconds(7)) == t0 + seconds(7)));  // released: now
    state.observe(lease_of("other_bbbb", 20, 2, "5"), t0 + seconds(8));
    state.observe_absent();
    BOOST_TEST((state.chance_at(t0 + seconds(9)) == t0 + seconds(9)));  // deleted: now
}

BOOST_AUTO_TEST_CASE(release_body_only_when_the_fresh_lease_names_us) {
    ElectionState state("ns", "gic", self, seconds(15));
    auto body = state.release_body(lease_of(self, 15, 6, "30"), wall0);
    BOOST_TEST_REQUIRE(body.has_value());
    auto const& record = body->record;
    BOOST_TEST(record.holder_identity == "");
    BOOST_TEST(to_json(*body).at("spec").at("holderIdentity").as_string() == "");  // written, not omitted
    BOOST_TEST(record.lease_duration_seconds == 1);
    BOOST_TEST(record.leader_transitions == 6);
    BOOST_TEST((record.acquire_time == wall0));
    BOOST_TEST((record.renew_time == wall0));
    BOOST_TEST(body->metadata.resource_version == "30");
    BOOST_TEST(!state.release_body(lease_of("other_bbbb", 15, 7, "31"), wall0).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
