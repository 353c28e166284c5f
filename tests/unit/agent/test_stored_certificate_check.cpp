// /readyz of a replica that does not write, in virtual time: it reads the store itself, lazily,
// when what it knows is missing, expired or past half its life, at most once per min_interval.

#include "agent/stored_certificate_check.hpp"

#include "common/virtual_clock.hpp"
#include "fixtures.hpp"
#include "memory_store.hpp"
#include "test_ca.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>
#include <vector>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;

std::string const spiffe_id = "spiffe://cluster.local/ns/workloads/sa/payments";

struct Probe {
    testing::VirtualTime time{gic::test::now_in_whole_seconds()};
    testing::VirtualClock clock{time};
    asio::io_context io;
    emu::CertificateAuthority root = gic::test::make_root();
    RootBundleSource roots{"memory", RootBundle{root.cert().to_pem(), {root.cert()}}, false};
    agent::test::MemoryStore store{clock, spiffe_id};
    // A follower: another replica holds the Lease.
    AgentState state = [] {
        AgentState s;
        s.follow_election([] { return ElectionFacts{}; });
        return s;
    }();
    StoredCertificateCheck check{io.get_executor(), clock, store, roots, spiffe_id, state, 10s};
    asio::cancellation_signal stop;

    Probe() { asio::co_spawn(io, check.run(), asio::bind_cancellation_slot(stop.slot(), [](std::exception_ptr) {})); }
    ~Probe() {
        stop.emit(asio::cancellation_type::all);
        settle();
    }
    void settle() { testing::run_until(time, {&io}, time.now()); }
    void pass(std::chrono::steady_clock::duration d) { testing::run_until(time, {&io}, time.now() + d); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(stored_certificate_check)

BOOST_AUTO_TEST_CASE(ready_once_a_valid_certificate_is_stored_and_not_after_it_expires) {
    Probe p;
    p.store.put_signed_by(p.root, p.clock.wall_now(), 1h);
    p.settle();  // the look at startup
    BOOST_TEST(p.store.reads == 1);
    BOOST_TEST(p.check.ready());
    // What it read is in the agent state, vouched for by a follower's read.
    BOOST_TEST_REQUIRE(p.state.facts().certificate.has_value());
    BOOST_TEST((p.state.facts().certificate->source == CertificateSource::follower_read));
    BOOST_TEST((p.state.facts().certificate->checked_at == p.clock.wall_now()));
    // Within the first half of its life nothing is read again, however often the probe asks.
    p.pass(20min);
    for (int i = 0; i < 5; ++i) BOOST_TEST(p.check.ready());
    p.settle();
    BOOST_TEST(p.store.reads == 1);
    // Past half its life (the writer renews by then) a probe asks for one more look...
    p.pass(15min);
    BOOST_TEST(p.check.ready());
    p.settle();
    BOOST_TEST(p.store.reads == 2);
    // ...and no other within min_interval.
    BOOST_TEST(p.check.ready());
    p.settle();
    BOOST_TEST(p.store.reads == 2);
    // Nobody renewed: once it expires the replica is not ready.
    p.pass(30min);
    BOOST_TEST(!p.check.ready());
}

BOOST_AUTO_TEST_CASE(a_suspended_replica_sees_expiry_at_the_wall_clock) {
    Probe p;
    p.store.put_signed_by(p.root, p.clock.wall_now(), 1h);
    p.settle();
    BOOST_TEST(p.check.ready());
    p.clock.jump_wall(2h);  // steady time stood still; the certificate expired meanwhile
    BOOST_TEST(!p.check.ready());
    // Renewed by the writer; this replica looked less than min_interval ago (steady time), so it
    // reads again only once that has passed, when a probe asks.
    p.store.put_signed_by(p.root, p.clock.wall_now(), 1h);
    p.settle();
    BOOST_TEST(!p.check.ready());
    BOOST_TEST(p.store.reads == 1);
    p.pass(10s);
    BOOST_TEST(!p.check.ready());
    p.settle();
    BOOST_TEST(p.store.reads == 2);
    BOOST_TEST(p.check.ready());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stored_certificate_check_of_the_writer)

BOOST_AUTO_TEST_CASE(the_writer_answers_from_the_state_and_never_reads) {
    testing::VirtualTime time{std::chrono::system_clock::time_point(std::chrono::hours(500'000))};
    testing::VirtualClock clock{time};
    asio::io_context io;
    auto root = gic::test::make_root();
    RootBundleSource roots{"memory", RootBundle{root.cert().to_pem(), {root.cert()}}, false};
    agent::test::MemoryStore store{clock, spiffe_id};
    store.put_signed_by(root, clock.wall_now(), 1h);
    AgentState state;  // no election: the only writer
    StoredCertificateCheck check{io.get_executor(), clock, store, roots, spiffe_id, state, 10s};
    asio::cancellation_signal stop;
    asio::co_spawn(io, check.run(), asio::bind_cancellation_slot(stop.slot(), [](std::exception_ptr) {}));
    testing::run_until(time, {&io}, time.now());
    // A valid certificate is stored, but the Rotator has not said so yet: not ready, and not read.
    BOOST_TEST(!check.ready());
    testing::run_until(time, {&io}, time.now() + 1min);
    BOOST_TEST(!check.ready());
    testing::run_until(time, {&io}, time.now());
    BOOST_TEST(store.reads == 0);
    state.certificate_known(KnownCertificate{"01", clock.wall_now() - 1min, clock.wall_now() + 1h, clock.wall_now(),
                                             CertificateSource::writer_wrote});
    BOOST_TEST(check.ready());
    stop.emit(asio::cancellation_type::all);
    testing::run_until(time, {&io}, time.now());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stored_certificate_check_rules)

BOOST_AUTO_TEST_CASE(a_probe_makes_a_follower_read_when_what_it_knows_is_stale_at_most_once_per_interval) {
    util::WallTime const w0{std::chrono::hours(500'000)};
    util::SteadyTime const s0{std::chrono::hours(1000)};
    struct Row {
        char const* what;
        bool known_ready;
        util::WallTime look_again_at;
        util::SteadyTime last_look;
        bool wanted;
    };
    std::vector<Row> const rows{
        {"nothing known, never looked", false, util::WallTime{}, util::SteadyTime{}, true},
        {"nothing known, looked 10 s ago", false, w0, s0 - 10s, true},
        {"nothing known, looked 9 s ago", false, w0, s0 - 9s, false},
        {"ready, before half life", true, w0 + 1min, s0 - 1h, false},
        {"ready, at half life", true, w0, s0 - 1h, true},
        {"ready, past half life, looked 5 s ago", true, w0 - 1min, s0 - 5s, false},
    };
    for (auto const& row : rows)
        BOOST_TEST(look_wanted(row.known_ready, w0, row.look_again_at, s0, row.last_look, 10s) == row.wanted, row.what);
}

BOOST_AUTO_TEST_CASE(what_was_read_deserves_another_look_at_half_its_life_but_not_within_the_interval) {
    util::WallTime const w0{std::chrono::hours(500'000)};
    // A 1 h certificate from w0: half its life at w0 + 30 min.
    BOOST_TEST((look_again_at(w0, 10s, w0, w0 + 1h) == w0 + 30min));
    BOOST_TEST((look_again_at(w0 + 20min, 10s, w0, w0 + 1h) == w0 + 30min));
    // Read past half its life (the writer has not renewed yet): again after the interval.
    BOOST_TEST((look_again_at(w0 + 40min, 10s, w0, w0 + 1h) == w0 + 40min + 10s));
}

BOOST_AUTO_TEST_SUITE_END()
