// The real Rotator in virtual time: an in-test CA signs with the emulators' test CA at the
// virtual wall time, an in-memory store keeps what is written, and days pass in milliseconds.

#include "agent/rotator.hpp"

#include "common/virtual_clock.hpp"
#include "memory_store.hpp"
#include "fixtures.hpp"
#include "test_authority.hpp"
#include "test_ca.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace gic;
using namespace gic::agent;
using gic::agent::test::MemoryStore;
using gic::agent::test::TestCa;
using gic::agent::test::Write;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;

WorkloadIdentity const identity{"cluster.local", "workloads", "payments"};

using gic::test::make_root;

RootBundle bundle_of(std::vector<emu::CertificateAuthority const*> const& cas) {
    RootBundle bundle;
    for (auto const* ca : cas) {
        bundle.pem += ca->cert().to_pem();
        bundle.certs.push_back(ca->cert());
    }
    return bundle;
}

KeyedChain parsed(TlsMaterial const& material) { return parse_tls_material(material).value(); }

// One Rotator with its CA, store and roots, on one io_context in virtual time.
struct World {
    // A whole second, so that certificate times (whole seconds) match the clock exactly.
    testing::VirtualTime time{gic::test::now_in_whole_seconds()};
    testing::VirtualClock clock{time};
    asio::io_context io;
    emu::CertificateAuthority root_a = make_root("root A");
    emu::CertificateAuthority root_b = make_root("root B");
    TestCa ca{clock, &root_a, identity.spiffe_id()};
    MemoryStore store{clock, identity.spiffe_id()};
    RootBundleSource roots{"memory", bundle_of({&root_a}), false};
    std::vector<RotationEvent> events;
    std::unique_ptr<Rotator> rotator;
    asio::cancellation_signal stop;
    bool ended = false;
    int quiet_spells = 0;

    RotatorConfig config() {
        auto config = gic::agent::test::virtual_time_rotator_config(identity);
        config.on_event = [this](RotationEvent const& event) { events.push_back(event); };
        config.release_idle_memory = [this] { ++quiet_spells; };
        return config;
    }

    void start(RotatorConfig const& settings) {
        rotator = std::make_unique<Rotator>(io.get_executor(), settings, ca, roots, store, [] { return Result<std::string>(std::string("token")); },
                                            clock);
        asio::co_spawn(io, rotator->run(), asio::bind_cancellation_slot(stop.slot(), [this](std::exception_ptr) { ended = true; }));
    }
    void start() { start(config()); }

    WallTime wall() const { return clock.wall_now(); }
    void run_for(steady_clock::duration d) { testing::run_until(time, {&io}, time.now() + d); }

    ~World() {
        // Cancel and drain before the Rotator (and its timer) goes.
        stop.emit(asio::cancellation_type::all);
        run_for(0s);
    }
};

std::size_t count(std::vector<RotationEvent> const& events, RotationEvent::Kind kind) {
    std::size_t n = 0;
    for (auto const& e : events) n += e.kind == kind;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rotator_in_virtual_time)

BOOST_AUTO_TEST_CASE(renews_at_half_life_with_a_new_key_each_time) {
    World w;
    auto const start = w.wall();
    w.start();
    w.run_for(24h * 4);
    // Issued at once, then every 12 h +- 1 % of the 24 h life: 8 certificates in 4 days.
    BOOST_TEST_REQUIRE(w.store.writes.size() >= 8u);
    BOOST_TEST((w.store.writes.front().at == start));
    std::set<std::string> keys;
    std::set<std::string> serials;
    for (std::size_t i = 0; i < w.store.writes.size(); ++i) {
        auto const& write = w.store.writes[i];
        BOOST_TEST((write.outcome != WriteOutcome::kept_newer));
        keys.insert(write.material.key_pem);
        serials.insert(parsed(write.material).chain.leaf().serial_hex());
        if (i == 0) continue;
        // The previous certificate was received at its write (no latency here): renewal is due at
        // NotAfter - r * (NotAfter - received), r = 0.5 +- 0.01, and the timer fires at that
        // instant or the millisecond after (sleeps round up, never down).
        auto const received = w.store.writes[i - 1].at;
        auto const life = parsed(w.store.writes[i - 1].material).chain.leaf().not_after() - received;
        BOOST_TEST((life > 24h - 1s && life <= 24h));  // NotAfter is in whole seconds
        BOOST_TEST((write.at >= received + life * 49 / 100));
        BOOST_TEST((write.at <= received + life * 51 / 100 + 1ms));
    }
    BOOST_TEST(keys.size() == w.store.writes.size());
    BOOST_TEST(serials.size() == w.store.writes.size());
    BOOST_TEST(w.ca.calls == int(w.store.writes.size()));
    BOOST_TEST(count(w.events, RotationEvent::Kind::issued) == w.store.writes.size());
    BOOST_TEST(count(w.events, RotationEvent::Kind::issue_failed) == 0u);
}

BOOST_AUTO_TEST_CASE(the_same_seed_renews_at_the_same_instants) {
    auto instants = [] {
        World w;
        w.start();
        w.run_for(24h * 3);
        std::vector<steady_clock::duration> at;
        for (auto const& write : w.store.writes) at.push_back(write.at - w.time.wall_at_start());
        return at;
    };
    auto const first = instants();
    auto const second = instants();
    BOOST_TEST_REQUIRE(first.size() == second.size());
    for (std::size_t i = 0; i < first.size(); ++i) BOOST_TEST((first[i] == second[i]));
}

BOOST_AUTO_TEST_CASE(reuses_a_valid_stored_certificate_until_it_is_due) {
    World w;
    auto const start = w.wall();
    w.store.put_signed_by(w.root_a, start);  // NotBefore = start - 2 min
    auto const stored_serial = parsed(*w.store.stored).chain.leaf().serial_hex();
    w.start();
    w.run_for(11h);
    BOOST_TEST(w.ca.calls == 0);
    BOOST_TEST(w.store.writes.empty());
    // Memory goes back 10 s into the quiet spell, then on every max_sleep wake (5 min).
    BOOST_TEST(w.quiet_spells == 1 + (11h - 10s) / 5min);
    w.run_for(2h);
    // Due at half-way from NotBefore + 2 min (= start) to NotAfter, +- 1 % of 24 h.
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    BOOST_TEST((w.store.writes[0].at >= start + 12h - 864s));
    BOOST_TEST((w.store.writes[0].at <= start + 12h + 864s + 1ms));
    BOOST_TEST(parsed(w.store.writes[0].material).chain.leaf().serial_hex() != stored_serial);
}

BOOST_AUTO_TEST_CASE(backs_off_while_the_ca_is_unavailable_and_recovers) {
    World w;
    auto const start = w.wall();
    w.ca.failures = 5;
    w.start();
    w.run_for(1min);
    // 500 ms doubling, each +- 20 %: the sixth call comes 15.5 s +- 20 % after the first.
    BOOST_TEST(w.ca.calls == 6);
    BOOST_TEST(w.ca.rebuilds == 5);  // a new connection after every CA error
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    BOOST_TEST((w.store.writes[0].at >= start + 12400ms));
    BOOST_TEST((w.store.writes[0].at <= start + 18600ms));
    // One Event for the outage, one for the certificate.
    BOOST_TEST(count(w.events, RotationEvent::Kind::issue_failed) == 1u);
    BOOST_TEST(count(w.events, RotationEvent::Kind::issued) == 1u);
    // Back to the normal schedule: the next renewal half a life after the write, not a retry.
    w.run_for(11h);
    BOOST_TEST(w.ca.calls == 6);
    w.run_for(2h);
    BOOST_TEST(w.ca.calls == 7);
    // A later outage starts from the first step again and is told again.
    w.ca.failures = 1;
    w.run_for(13h);
    BOOST_TEST(w.ca.calls == 9);
    BOOST_TEST(count(w.events, RotationEvent::Kind::issue_failed) == 2u);
}

BOOST_AUTO_TEST_CASE(never_replaces_a_newer_stored_certificate) {
    World w;
    auto const start = w.wall();
    // While our first certificate is on its way back, another writer stores one issued later.
    w.ca.on_signed = [&] {
        w.ca.on_signed = nullptr;
        w.store.put_signed_by(w.root_a, w.wall() + 10s);
    };
    w.start();
    w.run_for(1s);
    BOOST_TEST(w.ca.calls == 1);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    BOOST_TEST((w.store.writes[0].outcome == WriteOutcome::kept_newer));
    BOOST_TEST((w.store.writes[0].material.chain_pem == w.store.stored->chain_pem));
    BOOST_TEST((parsed(*w.store.stored).chain.leaf().not_before() == start + 10s - 2min));
    BOOST_TEST(count(w.events, RotationEvent::Kind::issued) == 0u);  // nothing of ours was written
    // From then on, the stored certificate only ever moves forward.
    w.run_for(24h * 2);
    WallTime last{};
    for (auto const& write : w.store.writes) {
        auto const not_before = parsed(write.material).chain.leaf().not_before();
        BOOST_TEST((not_before >= last));
        last = not_before;
    }
    BOOST_TEST(w.store.writes.size() >= 4u);
}

BOOST_AUTO_TEST_CASE(rewrites_ca_crt_when_the_roots_change) {
    World w;
    w.start();
    w.run_for(1h);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    auto const serial = parsed(w.store.writes[0].material).chain.leaf().serial_hex();
    // Root B joins the bundle (a rotation in progress): the leaf still verifies.
    BOOST_TEST(w.roots.replace(bundle_of({&w.root_a, &w.root_b})).value());
    auto const changed_at = w.wall();
    w.rotator->roots_changed();
    w.run_for(1s);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 2u);
    auto const& rewrite = w.store.writes[1];
    BOOST_TEST((rewrite.at == changed_at));
    BOOST_TEST(parsed(rewrite.material).chain.leaf().serial_hex() == serial);  // same certificate
    BOOST_TEST(rewrite.material.roots_pem == w.roots.current().pem);
    BOOST_TEST(w.ca.calls == 1);
    // And it is still renewed on its own schedule.
    w.run_for(10h);
    BOOST_TEST(w.store.writes.size() == 2u);
}

BOOST_AUTO_TEST_CASE(reissues_at_once_when_the_stored_chain_no_longer_verifies) {
    World w;
    w.start();
    w.run_for(1h);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    // The mesh moved to root B alone: what is stored chains to A only.
    w.ca.sign_with(&w.root_b);
    BOOST_TEST(w.roots.replace(bundle_of({&w.root_b})).value());
    auto const changed_at = w.wall();
    w.rotator->roots_changed();
    w.run_for(1s);
    BOOST_TEST(w.ca.calls == 2);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 2u);
    BOOST_TEST((w.store.writes[1].at == changed_at));
    auto const reissued = parsed(w.store.writes[1].material);
    BOOST_TEST(check_stored(reissued, identity.spiffe_id(), w.roots.current().certs, w.wall()).has_value());
}

BOOST_AUTO_TEST_CASE(a_write_failing_past_half_life_is_given_up_for_a_fresh_certificate) {
    World w;
    auto settings = w.config();
    settings.ttl = 1h;
    auto const start = w.wall();
    w.store.failing_writes = 1000;
    w.start(settings);
    // Comfortably valid until half-way from NotBefore (start - 2 min) to NotAfter (start + 1 h):
    // start + 29 min. Retries with backoff (500 ms doubling to 60 s) stop before that.
    w.run_for(28min);
    BOOST_TEST(w.ca.calls == 1);
    w.run_for(2min);
    BOOST_TEST(w.ca.calls == 2);  // given up: a fresh certificate
    BOOST_TEST(count(w.events, RotationEvent::Kind::issue_failed) == 1u);  // told once
    // The store recovers: the fresh certificate is written within one backoff step.
    w.store.failing_writes = 0;
    w.run_for(61s);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    BOOST_TEST((parsed(w.store.writes[0].material).chain.leaf().not_before() > start));
    BOOST_TEST(count(w.events, RotationEvent::Kind::issued) == 1u);
    BOOST_TEST(w.ca.calls == 2);
}

BOOST_AUTO_TEST_CASE(a_ca_crt_rewrite_that_keeps_failing_backs_off_until_renewal) {
    World w;
    auto settings = w.config();
    settings.renewal = RenewalPolicy{0.2, 0.0};  // renew at 80 % of the life: long after half of it
    w.start(settings);
    w.run_for(1h);
    BOOST_TEST_REQUIRE(w.store.writes.size() == 1u);
    auto const attempts_before = w.store.write_attempts;
    w.store.failing_writes = 1'000'000;
    BOOST_TEST(w.roots.replace(bundle_of({&w.root_a, &w.root_b})).value());
    w.rotator->roots_changed();
    // Past half its life the certificate is no longer worth more retries, but it is still valid:
    // the Rotator backs off (at most once a minute by then) instead of trying again at once, and
    // issues nothing before the renewal time (start + 19.2 h).
    w.run_for(18h);
    auto const attempts = w.store.write_attempts - attempts_before;
    BOOST_TEST(attempts > 17 * 60);
    BOOST_TEST(attempts < 18 * 60 + 20);
    BOOST_TEST(w.ca.calls == 1);
}

BOOST_AUTO_TEST_CASE(a_root_change_during_write_retries_is_looked_at_after_the_write) {
    World w;
    auto const start = w.wall();
    w.store.failing_writes = 1;
    w.start();
    w.run_for(100ms);  // the first write failed; the retry waits about 500 ms
    BOOST_TEST(w.store.writes.empty());
    BOOST_TEST(w.roots.replace(bundle_of({&w.root_a, &w.root_b})).value());
    w.rotator->roots_changed();
    w.run_for(1s);
    // The change cut the wait short; once the certificate is stored the Rotator looks again and
    // brings ca.crt up to date, at the same instant.
    BOOST_TEST_REQUIRE(w.store.writes.size() == 2u);
    BOOST_TEST((w.store.writes[0].at == start + 100ms));
    BOOST_TEST((w.store.writes[1].at == start + 100ms));
    BOOST_TEST(w.store.writes[1].material.roots_pem == w.roots.current().pem);
    BOOST_TEST(w.ca.calls == 1);
}

BOOST_AUTO_TEST_CASE(a_cancelled_rotator_writes_nothing_more) {
    World w;
    w.ca.failures = 1;
    w.start();
    w.run_for(100ms);  // the first call failed; the retry waits about 500 ms
    BOOST_TEST(w.ca.calls == 1);
    w.stop.emit(asio::cancellation_type::all);
    w.run_for(24h);
    BOOST_TEST(w.ended);
    BOOST_TEST(w.ca.calls == 1);
    BOOST_TEST(w.store.writes.empty());
}

BOOST_AUTO_TEST_SUITE_END()
