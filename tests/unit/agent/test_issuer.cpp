// One issuance in virtual time: retries of retriable CA statuses wait on the injected clock, the
// receive time is the clock's wall time, and a CA signing for another trust domain is a
// configuration error.

#include "agent/effects/issuer.hpp"

#include "common/virtual_clock.hpp"
#include "fixtures.hpp"
#include "test_authority.hpp"
#include "test_ca.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>
#include <optional>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;

WorkloadIdentity const identity{"cluster.local", "workloads", "payments"};

using Outcome = IssueOutcome<IssueResult>;

// co_spawn needs a default-constructible result; the outcome is kept here instead.
asio::awaitable<void> keep(std::optional<Outcome>* out, asio::awaitable<Outcome> issuing) {
    out->emplace(co_await std::move(issuing));
}

void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
}

struct Issuance {
    testing::VirtualTime time{gic::test::now_in_whole_seconds()};
    testing::VirtualClock clock{time};
    asio::io_context io;
    emu::CertificateAuthority root = gic::test::make_root();
    agent::test::TestCa ca{clock, &root, identity.spiffe_id()};
    int tokens_read = 0;

    Outcome issue(int attempts) {
        IssueParams const params{identity, pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(1), {root.cert()}, nullptr,
                                 agent::test::generate_here};
        std::function<Result<std::string>()> const token_reader = [this] {
            return Result<std::string>("token-" + std::to_string(++tokens_read));
        };
        util::BackoffPolicy const backoff{100ms, 2.0, 800ms, 0.0};
        std::optional<Outcome> outcome;
        asio::co_spawn(io, keep(&outcome, issue_certificate(ca, clock, params, token_reader, attempts, backoff)), rethrow);
        testing::run_until(time, {&io}, time.now() + 1h, [&] { return outcome.has_value(); });
        BOOST_REQUIRE(outcome.has_value());
        return std::move(*outcome);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(issuer)

BOOST_AUTO_TEST_CASE(retries_on_the_clock_with_a_fresh_token_each_time) {
    Issuance i;
    auto const start = i.clock.wall_now();
    i.ca.failures = 2;
    auto const issued = i.issue(3);
    BOOST_REQUIRE(issued.has_value());
    // 100 ms, then 200 ms, of virtual time; the answer is received at the clock's wall time.
    BOOST_TEST((issued->received_at == start + 300ms));
    BOOST_TEST((i.clock.wall_now() == start + 300ms));
    BOOST_TEST((i.ca.tokens == std::vector<std::string>{"token-1", "token-2", "token-3"}));
    BOOST_TEST(issued->issued.chain.leaf().uri_sans().front() == identity.spiffe_id());
}

BOOST_AUTO_TEST_CASE(gives_up_after_the_attempts_as_a_retriable_failure) {
    Issuance i;
    i.ca.failures = 5;
    auto const issued = i.issue(2);
    BOOST_REQUIRE(issued.has_error());
    BOOST_TEST((issued.error().kind == IssueFailure::ca_retriable));
    BOOST_TEST(i.ca.calls == 2);
    BOOST_TEST(issued.error().error.message.find("UNAVAILABLE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_ca_signing_for_another_trust_domain_is_a_configuration_error) {
    Issuance i;
    agent::test::TestCa other{i.clock, &i.root, "spiffe://mesh.example/ns/workloads/sa/payments"};
    IssueParams const params{identity, pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(1), {i.root.cert()}, nullptr,
                             agent::test::generate_here};
    std::function<Result<std::string>()> const token_reader = [] { return Result<std::string>(std::string("t")); };
    util::BackoffPolicy const backoff;
    std::optional<Outcome> outcome;
    asio::co_spawn(i.io, keep(&outcome, issue_certificate(other, i.clock, params, token_reader, 1, backoff)), rethrow);
    testing::run_until(i.time, {&i.io}, i.time.now());
    BOOST_REQUIRE(outcome.has_value());
    BOOST_REQUIRE(outcome->has_error());
    BOOST_TEST((outcome->error().kind == IssueFailure::misconfigured));
    BOOST_TEST(outcome->error().error.message.find("--trust-domain=mesh.example") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
