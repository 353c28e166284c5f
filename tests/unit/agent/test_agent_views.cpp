// What the probes and the metrics make of the agent state (agent_views): /readyz, /healthz and the
// gauges as pure functions of the facts and the wall time, table by table.

#include "agent/decisions/agent_views.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <vector>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono_literals;

namespace {

util::WallTime const t0{std::chrono::hours(500'000)};

KnownCertificate certificate_until(util::WallTime not_after, CertificateSource source) {
    return KnownCertificate{"0a1b", not_after - 24h, not_after, t0, source};
}

ElectionFacts election_facts(bool leading, std::optional<util::WallTime> renewed, std::uint64_t terms = 1) {
    return ElectionFacts{leading, renewed, terms, 15s};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_views)

BOOST_AUTO_TEST_CASE(ready_while_a_known_certificate_has_not_expired_whoever_vouched_for_it) {
    struct Row {
        char const* what;
        std::optional<KnownCertificate> certificate;
        std::optional<ElectionFacts> election;
        util::WallTime now;
        bool ready;
    };
    std::vector<Row> const rows{
        {"nothing known", std::nullopt, std::nullopt, t0, false},
        {"nothing known, follower", std::nullopt, election_facts(false, std::nullopt, 0), t0, false},
        {"written, valid", certificate_until(t0 + 1h, CertificateSource::writer_wrote), std::nullopt, t0, true},
        {"reused, a second before NotAfter", certificate_until(t0 + 1h, CertificateSource::writer_read), std::nullopt,
         t0 + 1h - 1s, true},
        {"at NotAfter", certificate_until(t0 + 1h, CertificateSource::writer_wrote), std::nullopt, t0 + 1h, false},
        {"past NotAfter (a suspended replica)", certificate_until(t0 + 1h, CertificateSource::writer_wrote),
         std::nullopt, t0 + 3h, false},
        {"a follower's read, valid", certificate_until(t0 + 1h, CertificateSource::follower_read),
         election_facts(false, std::nullopt, 0), t0, true},
        {"a follower's read, expired", certificate_until(t0 + 1h, CertificateSource::follower_read),
         election_facts(false, std::nullopt, 0), t0 + 2h, false},
        {"the leader, valid", certificate_until(t0 + 1h, CertificateSource::writer_wrote), election_facts(true, t0), t0, true},
        {"the leader, its Lease stale: liveness's business", certificate_until(t0 + 1h, CertificateSource::writer_wrote),
         election_facts(true, t0 - 1h), t0, true},
    };
    for (auto const& row : rows) {
        AgentFacts facts;
        facts.certificate = row.certificate;
        facts.election = row.election;
        BOOST_TEST(readiness(facts, row.now) == row.ready, row.what);
    }
}

BOOST_AUTO_TEST_CASE(unhealthy_only_while_leading_without_a_lease_renewal_for_a_lease_duration) {
    struct Row {
        char const* what;
        std::optional<ElectionFacts> election;
        util::WallTime now;
        bool live;
    };
    std::vector<Row> const rows{
        {"no election", std::nullopt, t0, true},
        {"following, never renewed", election_facts(false, std::nullopt, 0), t0, true},
        {"following, renewed long ago (a past term)", election_facts(false, t0 - 1h, 1), t0, true},
        {"leading, just renewed", election_facts(true, t0), t0, true},
        {"leading, renewed within the lease duration", election_facts(true, t0 - 14s), t0, true},
        {"leading, renewed a lease duration ago", election_facts(true, t0 - 15s), t0, false},
        {"leading, renewed long ago", election_facts(true, t0 - 1h), t0, false},
        {"leading, never renewed", election_facts(true, std::nullopt), t0, false},
    };
    for (auto const& row : rows) {
        AgentFacts facts;
        facts.election = row.election;
        // What is stored plays no part in liveness.
        facts.certificate = certificate_until(t0 - 1h, CertificateSource::writer_wrote);
        BOOST_TEST(liveness(facts, row.now) == row.live, row.what);
    }
}

BOOST_AUTO_TEST_CASE(the_leader_gauge_and_its_transitions_follow_the_terms) {
    struct Row {
        char const* what;
        std::optional<ElectionFacts> election;
        bool leader;
        std::uint64_t transitions;
    };
    std::vector<Row> const rows{
        {"no election: one term since start", std::nullopt, true, 1},
        {"never led", election_facts(false, std::nullopt, 0), false, 0},
        {"leading its first term", election_facts(true, t0, 1), true, 1},
        {"stopped after one term", election_facts(false, t0, 1), false, 2},
        {"leading its third term", election_facts(true, t0, 3), true, 5},
        {"stopped after three terms", election_facts(false, t0, 3), false, 6},
    };
    for (auto const& row : rows) {
        AgentFacts facts;
        facts.election = row.election;
        auto const readings = metric_readings(facts, "ns/istio-certs");
        BOOST_TEST(readings.leader == row.leader, row.what);
        BOOST_TEST(readings.leader_transitions == row.transitions, row.what);
    }
}

BOOST_AUTO_TEST_CASE(the_target_gauges_show_what_is_known_about_the_certificate_and_renewals) {
    AgentFacts facts;
    auto readings = metric_readings(facts, "ns/istio-certs");
    BOOST_TEST_REQUIRE(readings.targets.count("ns/istio-certs") == 1u);
    BOOST_TEST(!readings.targets.at("ns/istio-certs").certificate_not_after.has_value());
    BOOST_TEST(!readings.targets.at("ns/istio-certs").last_successful_renewal.has_value());

    facts.certificate = certificate_until(t0 + 1h, CertificateSource::follower_read);
    facts.last_renewal = RenewalOutcome{"ca_unavailable", t0};
    facts.last_successful_renewal = t0 - 1h;
    readings = metric_readings(facts, "ns/istio-certs");
    auto const& target = readings.targets.at("ns/istio-certs");
    BOOST_TEST((target.certificate_not_after == t0 + 1h));
    // A failure after it does not hide when the last success was.
    BOOST_TEST((target.last_successful_renewal == t0 - 1h));
}

BOOST_AUTO_TEST_SUITE_END()
