// The agent state: one writer per fact, read as a whole (facts()), the election's facts read from
// the elector's status whenever the state is.

#include "agent/agent_state.hpp"

#include "election/leader_elector.hpp"
#include "observe/metrics.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono_literals;

namespace {

util::WallTime const t0{std::chrono::hours(500'000)};

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_state)

BOOST_AUTO_TEST_CASE(without_election_the_replica_is_the_writer) {
    AgentState state;
    auto const facts = state.facts();
    BOOST_TEST(!facts.election.has_value());
    BOOST_TEST(facts.writer());
    BOOST_TEST(!facts.certificate.has_value());
    BOOST_TEST(!facts.last_renewal.has_value());
}

BOOST_AUTO_TEST_CASE(the_election_facts_are_the_elector_status_of_the_moment) {
    AgentState state;
    election::ElectionStatus status;
    state.follow_election([&status] { return election_facts(status, 15s); });
    BOOST_TEST(!state.facts().writer());
    status.leading = true;
    status.terms = 1;
    status.last_renew = t0;
    auto facts = state.facts();
    BOOST_TEST_REQUIRE(facts.election.has_value());
    BOOST_TEST(facts.writer());
    BOOST_TEST(facts.election->terms == 1u);
    BOOST_TEST((facts.election->last_lease_renewal == t0));
    BOOST_TEST((facts.election->lease_duration == 15s));
    status.leading = false;
    BOOST_TEST(!state.facts().writer());
}

BOOST_AUTO_TEST_CASE(the_latest_certificate_replaces_the_one_known) {
    AgentState state;
    state.certificate_known({"01", t0 - 1h, t0 + 1h, t0, CertificateSource::follower_read});
    state.certificate_known({"02", t0, t0 + 2h, t0 + 1min, CertificateSource::writer_wrote});
    auto const facts = state.facts();
    BOOST_TEST_REQUIRE(facts.certificate.has_value());
    BOOST_TEST(facts.certificate->serial == "02");
    BOOST_TEST((facts.certificate->not_after == t0 + 2h));
    BOOST_TEST((facts.certificate->checked_at == t0 + 1min));
    BOOST_TEST((facts.certificate->source == CertificateSource::writer_wrote));
}

BOOST_AUTO_TEST_CASE(renewal_outcomes_keep_the_last_one_and_the_last_success) {
    AgentState state;
    state.renewal_ended(observe::renewal_result_ca_unavailable, t0);
    BOOST_TEST(!state.facts().last_successful_renewal.has_value());
    state.renewal_ended(observe::renewal_result_success, t0 + 1min);
    state.renewal_ended(observe::renewal_result_write_failed, t0 + 2min);
    auto const facts = state.facts();
    BOOST_TEST_REQUIRE(facts.last_renewal.has_value());
    BOOST_TEST(facts.last_renewal->result == "write_failed");
    BOOST_TEST((facts.last_renewal->at == t0 + 2min));
    BOOST_TEST((facts.last_successful_renewal == t0 + 1min));
}

BOOST_AUTO_TEST_SUITE_END()
