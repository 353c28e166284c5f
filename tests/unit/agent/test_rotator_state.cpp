// What the Rotator records in the agent state and the counters: the certificate it found valid or
// wrote (with who vouched for it, and when), and how each issuance ended.

#include "agent/rotator.hpp"

#include "common/virtual_clock.hpp"
#include "fixtures.hpp"
#include "memory_store.hpp"
#include "test_authority.hpp"
#include "test_ca.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>
#include <memory>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;

WorkloadIdentity const identity{"cluster.local", "workloads", "payments"};

bool has_line(std::string const& text, std::string const& line) { return text.find("\n" + line + "\n") != std::string::npos; }

struct World {
    testing::VirtualTime time{gic::test::now_in_whole_seconds()};
    testing::VirtualClock clock{time};
    asio::io_context io;
    emu::CertificateAuthority root = gic::test::make_root();
    agent::test::TestCa ca{clock, &root, identity.spiffe_id()};
    agent::test::MemoryStore store{clock, identity.spiffe_id()};
    RootBundleSource roots{"memory", RootBundle{root.cert().to_pem(), {root.cert()}}, false};
    observe::AgentMetrics metrics{"test"};
    AgentState state;
    std::unique_ptr<Rotator> rotator;
    asio::cancellation_signal stop;

    void start() {
        auto config = agent::test::virtual_time_rotator_config(identity);
        config.metrics = metrics.target("workloads/istio-certs");
        config.state = &state;
        rotator = std::make_unique<Rotator>(io.get_executor(), config, ca, roots, store,
                                            [] { return Result<std::string>(std::string("token")); }, clock);
        asio::co_spawn(io, rotator->run(), asio::bind_cancellation_slot(stop.slot(), [](std::exception_ptr) {}));
    }
    void run_for(steady_clock::duration d) { testing::run_until(time, {&io}, time.now() + d); }
    ~World() {
        stop.emit(asio::cancellation_type::all);
        run_for(0s);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(rotator_state)

BOOST_AUTO_TEST_CASE(a_reused_certificate_is_known_as_the_writer_read_it) {
    World w;
    auto const start = w.clock.wall_now();
    w.store.put_signed_by(w.root, start);
    auto const stored = parse_tls_material(*w.store.stored).value().chain.leaf();
    w.start();
    w.run_for(1s);
    auto const facts = w.state.facts();
    BOOST_TEST_REQUIRE(facts.certificate.has_value());
    BOOST_TEST(facts.certificate->serial == stored.serial_hex());
    BOOST_TEST((facts.certificate->not_before == stored.not_before()));
    BOOST_TEST((facts.certificate->not_after == stored.not_after()));
    BOOST_TEST((facts.certificate->checked_at == start));
    BOOST_TEST((facts.certificate->source == CertificateSource::writer_read));
    BOOST_TEST(!facts.last_renewal.has_value());
}

BOOST_AUTO_TEST_CASE(failures_then_a_written_certificate_are_recorded_once_each) {
    World w;
    w.ca.failures = 2;
    w.start();
    w.run_for(1min);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    auto const written = parse_tls_material(w.store.writes[0].material).value().chain.leaf();
    auto const facts = w.state.facts();
    BOOST_TEST_REQUIRE(facts.certificate.has_value());
    BOOST_TEST(facts.certificate->serial == written.serial_hex());
    BOOST_TEST((facts.certificate->checked_at == w.store.writes[0].at));
    BOOST_TEST((facts.certificate->source == CertificateSource::writer_wrote));
    BOOST_TEST_REQUIRE(facts.last_renewal.has_value());
    BOOST_TEST(facts.last_renewal->result == "success");
    BOOST_TEST((facts.last_successful_renewal == w.store.writes[0].at));
    // The counters count every outcome; the state keeps the last.
    auto const text = w.metrics.expose();
    BOOST_TEST(has_line(text, R"(gen_istio_cert_renewals_total{secret="workloads/istio-certs",result="ca_unavailable"} 2)"),
               text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_renewals_total{secret="workloads/istio-certs",result="success"} 1)"), text);
}

BOOST_AUTO_TEST_CASE(a_failing_write_is_the_last_outcome_until_one_succeeds) {
    World w;
    w.store.failing_writes = 100'000;
    w.start();
    // The write of a fresh certificate is given up past half its life, and a new one issued.
    w.run_for(13h);
    auto facts = w.state.facts();
    BOOST_TEST(!facts.certificate.has_value());
    BOOST_TEST_REQUIRE(facts.last_renewal.has_value());
    BOOST_TEST(facts.last_renewal->result == "write_failed");
    BOOST_TEST(!facts.last_successful_renewal.has_value());
    w.store.failing_writes = 0;
    w.run_for(24h);
    facts = w.state.facts();
    BOOST_TEST_REQUIRE(facts.last_renewal.has_value());
    BOOST_TEST(facts.last_renewal->result == "success");
    BOOST_TEST(facts.certificate.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
