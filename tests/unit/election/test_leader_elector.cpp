// The real LeaderElector, several replicas of it, against an in-memory API server in virtual time:
// who leads, when a cut-off leader stops its guarded work, when a follower takes over, what a
// graceful stop and a wall-clock jump do, and which requests a follower makes. Every instant is
// exact (virtual time, zero API latency) and a run replays identically (fixed seeds).

#include "common/virtual_clock.hpp"
#include "election/leader_elector.hpp"
#include "fake_api_server.hpp"
#include "util/time_format.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

using namespace gic;
using namespace gic::election;
using gic::sim::FakeApiEndpoint;
using gic::sim::FakeApiServer;
using gic::sim::Link;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// The Lease's holder as the API server stores it ("" when there is none).
std::string holder(FakeApiServer const& server) {
    auto const lease = server.find({"leases", "ns", "gic"});
    if (!lease) return {};
    auto const* spec = lease->if_contains("spec");
    auto const* id = spec != nullptr && spec->is_object() ? spec->as_object().if_contains("holderIdentity") : nullptr;
    return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string();
}

// A connection to the fake API server whose answers take no time.
void instant(FakeApiEndpoint& endpoint) { endpoint.set_latency(std::chrono::milliseconds(0)); }

// client-go's defaults: lease 15 s, renew deadline 10 s, retry period 2 s.
ElectorConfig config_for(std::string identity) {
    ElectorConfig config;
    config.lease_namespace = "ns";
    config.lease_name = "gic";
    config.identity = std::move(identity);
    return config;
}

struct Replica {
    // With `with_events`, leadership changes are posted as Events through the same connection.
    Replica(asio::any_io_executor executor, testing::VirtualTime& time, FakeApiServer& server, sim::Trace& trace,
            std::string id, std::uint64_t seed, bool with_events)
        : identity(id),
          // Processes' wall clocks never agree to the nanosecond: without that, two replicas'
          // Events about the Lease at one virtual instant would get one name (409 AlreadyExists).
          clock(time, std::chrono::nanoseconds(seed)),
          // On the server's clock, which outlives the io_context (a post cut off at teardown
          // finishes there); the instants are the same virtual time.
          api(executor, server.clock(), server, id, trace),
          events(with_events ? std::make_unique<EventRecorder>(executor, api, clock, "gen-istio-cert") : nullptr),
          elector(executor, api, clock, config_for(id), events.get(), seed) {
        instant(api);
    }

    std::string identity;
    testing::VirtualClock clock;
    FakeApiEndpoint api;
    std::unique_ptr<EventRecorder> events;
    LeaderElector elector;
    std::vector<util::SteadyTime> started;    // when each term's guarded work started
    std::vector<util::SteadyTime> cancelled;  // when it was cancelled
    asio::cancellation_signal stop;
    bool running = false;
    bool ended = false;
    std::exception_ptr failure;

    bool leading() const { return elector.status().leading; }
};

// The writer a leader runs: it works until its leadership cancels it.
asio::awaitable<void> guarded_work(Replica& replica) {
    replica.started.push_back(replica.clock.steady_now());
    try {
        co_await util::sleep_for(replica.clock, 10'000h);
    } catch (...) {
        replica.cancelled.push_back(replica.clock.steady_now());
        throw;
    }
}

struct World {
    testing::VirtualTime time{*util::parse_rfc3339("2026-12-07T12:00:00Z")};
    testing::VirtualClock server_clock{time};
    sim::Trace trace{time};
    FakeApiServer server{server_clock, trace};
    asio::io_context io;
    std::deque<std::unique_ptr<Replica>> replicas;

    World() = default;
    World(World const&) = delete;
    World& operator=(World const&) = delete;
    // Stops the replicas still running and lets them finish: no coroutine outlives the replica it
    // uses, and no replica's timers outlive the io_context.
    ~World() {
        for (auto& r : replicas)
            if (r->running && !r->ended) r->stop.emit(asio::cancellation_type::terminal);
        testing::run_until(time, {&io}, time.now() + 1h, [this] {
            return std::all_of(replicas.begin(), replicas.end(), [](auto const& r) { return !r->running || r->ended; });
        });
    }

    Replica& add(std::string id, std::uint64_t seed, bool with_events = false) {
        replicas.push_back(
            std::make_unique<Replica>(io.get_executor(), time, server, trace, std::move(id), seed, with_events));
        return *replicas.back();
    }
    void start(Replica& r) {
        r.running = true;
        asio::co_spawn(io, r.elector.run([&r] { return guarded_work(r); }),
                       asio::bind_cancellation_slot(r.stop.slot(), [&r](std::exception_ptr e) {
                           r.ended = true;
                           r.failure = e;
                       }));
    }
    // Runs everything due within `d` of virtual time; run_for(0s) runs what is due now.
    void run_for(std::chrono::steady_clock::duration d) { testing::run_until(time, {&io}, time.now() + d); }
    util::SteadyTime now() const { return time.now(); }
    int leaders() const {
        int n = 0;
        for (auto const& r : replicas) n += r->leading() ? 1 : 0;
        return n;
    }
};

// `a` leads and `b` follows: `a` starts first and holds the Lease when `b` joins.
struct LeaderAndFollower : World {
    Replica& a = add("replica-a", 11);
    Replica& b = add("replica-b", 22);
    LeaderAndFollower() {
        start(a);
        run_for(1s);
        start(b);
        run_for(30s);
        BOOST_TEST_REQUIRE(a.leading());
        BOOST_TEST_REQUIRE(!b.leading());
        BOOST_TEST_REQUIRE(holder(server) == "replica-a");
    }
};

bool aborted(std::exception_ptr e) {
    try {
        if (e) std::rethrow_exception(e);
    } catch (boost::system::system_error const& error) {
        return error.code() == asio::error::operation_aborted;
    } catch (...) {
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(leader_elector)

BOOST_AUTO_TEST_CASE(of_two_electors_started_together_exactly_one_leads) {
    World w;
    auto& a = w.add("replica-a", 1);
    auto& b = w.add("replica-b", 2);
    w.start(a);
    w.start(b);
    w.run_for(60s);
    BOOST_TEST(w.leaders() == 1);
    auto const& leader = a.leading() ? a : b;
    auto const& follower = a.leading() ? b : a;
    BOOST_TEST(holder(w.server) == leader.identity);
    BOOST_TEST(leader.started.size() == 1u);
    BOOST_TEST(leader.cancelled.empty());
    BOOST_TEST(follower.started.empty());
    BOOST_TEST(follower.elector.status().holder == leader.identity);
    BOOST_TEST(leader.elector.status().terms == 1u);
}

BOOST_AUTO_TEST_CASE(a_black_holed_leader_stops_by_its_renew_deadline_and_the_follower_waits_for_expiry,
                     *boost::unit_test::timeout(10)) {
    LeaderAndFollower w;
    auto& a = w.a;
    auto& b = w.b;
    w.run_for(700ms);  // between two renewals
    a.api.set_link(Link::silent);
    auto const holed_at = w.now();
    w.run_for(60s);

    // a's last successful renewal was taken (zero latency: sent) at `last`; nothing later arrived.
    BOOST_TEST_REQUIRE(a.api.last_write("leases").has_value());
    auto const last = *a.api.last_write("leases");
    BOOST_TEST((last <= holed_at && holed_at < last + 2s));
    // The guarded work stops at last success + retry period + renew deadline, not a tick later.
    BOOST_TEST_REQUIRE(a.cancelled.size() == 1u);
    BOOST_TEST((a.cancelled[0] <= last + 2s + 10s));
    BOOST_TEST((a.cancelled[0] == last + 12s));
    BOOST_TEST(!a.leading());
    // b saw that renewal through its watch at `last`; it takes over at observedTime + lease
    // duration by its own clock, after a stopped, and made no write before.
    BOOST_TEST_REQUIRE(b.started.size() == 1u);
    BOOST_TEST((b.started[0] == last + 15s));
    BOOST_TEST((b.started[0] > a.cancelled[0]));
    // Its first write since joining is the takeover itself.
    std::optional<util::SteadyTime> first_write;
    for (auto const& [verb, sent] : b.api.sent())
        if (!first_write && (verb == "update" || verb == "create")) first_write = sent;
    BOOST_TEST_REQUIRE(first_write.has_value());
    BOOST_TEST((*first_write == last + 15s));
    BOOST_TEST(holder(w.server) == "replica-b");
    BOOST_TEST(w.leaders() == 1);
}

BOOST_AUTO_TEST_CASE(a_graceful_stop_releases_and_the_follower_acquires_at_once_through_its_watch) {
    LeaderAndFollower w;
    auto& a = w.a;
    auto& b = w.b;
    w.run_for(900ms);
    auto const stopped_at = w.now();
    a.stop.emit(asio::cancellation_type::terminal);
    w.run_for(0s);

    BOOST_TEST(a.ended);
    BOOST_TEST(aborted(a.failure));
    BOOST_TEST_REQUIRE(a.cancelled.size() == 1u);
    BOOST_TEST((a.cancelled[0] == stopped_at));
    // Released (holder "") and taken by b in the same instant: b did not wait for an expiry.
    BOOST_TEST_REQUIRE(b.started.size() == 1u);
    BOOST_TEST((b.started[0] == stopped_at));
    BOOST_TEST(holder(w.server) == "replica-b");
    BOOST_TEST(b.leading());
}

BOOST_AUTO_TEST_CASE(a_follower_stopped_while_following_ends_with_operation_aborted_and_leaves_the_lease_alone) {
    LeaderAndFollower w;
    auto& b = w.b;
    w.run_for(3s);
    b.stop.emit(asio::cancellation_type::terminal);
    w.run_for(0s);
    // Its acquisition loop and its watch were both cancelled: the stop still reads as a stop (as
    // documented), not as the pair of cancellations Asio's || reports.
    BOOST_TEST(b.ended);
    BOOST_TEST(aborted(b.failure));
    BOOST_TEST(b.started.empty());
    BOOST_TEST(holder(w.server) == "replica-a");
    BOOST_TEST(w.a.leading());
}

BOOST_AUTO_TEST_CASE(a_leader_stopping_while_black_holed_gives_the_release_400_ms_then_the_lease_expires) {
    LeaderAndFollower w;
    auto& a = w.a;
    auto& b = w.b;
    a.api.set_link(Link::silent);
    auto const last = *a.api.last_write("leases");
    auto const stopped_at = w.now();
    a.stop.emit(asio::cancellation_type::terminal);
    w.run_for(399ms);
    BOOST_TEST(!a.ended);
    w.run_for(1ms);
    BOOST_TEST(a.ended);  // the release budget on its own clock, not the API's answer
    BOOST_TEST(aborted(a.failure));
    BOOST_TEST_REQUIRE(a.cancelled.size() == 1u);
    BOOST_TEST((a.cancelled[0] == stopped_at));
    BOOST_TEST(holder(w.server) == "replica-a");  // never released
    w.run_for(30s);
    BOOST_TEST_REQUIRE(b.started.size() == 1u);
    BOOST_TEST((b.started[0] == last + 15s));
}

BOOST_AUTO_TEST_CASE(leadership_changes_are_reported_as_events_on_the_lease) {
    World w;
    auto& a = w.add("replica-a", 3, true);
    w.start(a);
    w.run_for(1s);
    auto& b = w.add("replica-b", 4, true);
    w.start(b);
    w.run_for(10s);
    a.stop.emit(asio::cancellation_type::terminal);
    w.run_for(1s);
    BOOST_TEST(b.leading());
    std::vector<std::string> messages;
    for (auto const& event : w.server.all_of("events")) {
        messages.emplace_back(event.at("message").as_string());
        BOOST_TEST(event.at("reason").as_string() == "LeaderElection");
        auto const& involved = event.at("involvedObject").as_object();
        BOOST_TEST(involved.at("kind").as_string() == "Lease");
        BOOST_TEST(involved.at("namespace").as_string() == "ns");
        BOOST_TEST(involved.at("name").as_string() == "gic");
    }
    std::vector<std::string> const expected{"replica-a became leader", "replica-a stopped leading",
                                            "replica-b became leader"};
    BOOST_TEST(messages == expected, boost::test_tools::per_element());
    BOOST_TEST(a.events->posted() == 2u);
    BOOST_TEST(b.events->posted() == 1u);
}

BOOST_AUTO_TEST_CASE(a_wall_clock_jump_on_a_replica_does_not_change_who_leads) {
    LeaderAndFollower w;
    auto& a = w.a;
    auto& b = w.b;
    auto const b_writes = b.api.count("update") + b.api.count("create");
    b.clock.jump_wall(2h);   // the follower's clock runs ahead: the Lease must not look expired to it
    a.clock.jump_wall(-1h);  // the leader's clock goes back: its renewTime goes back with it
    w.run_for(120s);
    BOOST_TEST(a.leading());
    BOOST_TEST(a.started.size() == 1u);
    BOOST_TEST(a.cancelled.empty());
    BOOST_TEST(b.started.empty());
    BOOST_TEST(b.api.count("update") + b.api.count("create") == b_writes);
    BOOST_TEST(holder(w.server) == "replica-a");
    b.clock.jump_wall(-4h);
    w.run_for(120s);
    BOOST_TEST(a.leading());
    BOOST_TEST(b.started.empty());
}

BOOST_AUTO_TEST_CASE(a_follower_makes_no_request_but_its_watch_while_the_leader_renews) {
    LeaderAndFollower w;
    auto& a = w.a;
    auto& b = w.b;
    std::map<std::string, std::uint64_t> before;
    for (char const* verb : {"get", "create", "update", "list", "watch"}) before[verb] = b.api.count(verb);
    auto const a_updates = a.api.count("update");
    w.run_for(20min);

    for (char const* verb : {"get", "create", "update", "list"}) BOOST_TEST(b.api.count(verb) == before[verb], verb);
    // The watch is re-opened when the server ends it (timeoutSeconds 300..599 s): 2 to 4 times.
    auto const watches = b.api.count("watch") - before["watch"];
    BOOST_TEST(watches >= 2);
    BOOST_TEST(watches <= 4);
    // Meanwhile the leader renewed every retry period: 600 renewals in 20 minutes.
    BOOST_TEST(a.api.count("update") - a_updates == 600);
    BOOST_TEST(a.leading());
    BOOST_TEST(b.started.empty());
}

BOOST_AUTO_TEST_CASE(the_same_seeds_replay_the_same_election_and_other_seeds_jitter_differently) {
    // A leader is cut off; the other takes over; the cut-off one keeps trying to acquire, every
    // jittered retry period: its request times come from its seed.
    auto run = [](std::uint64_t seed_a, std::uint64_t seed_b) {
        World w;
        auto& a = w.add("replica-a", seed_a);
        auto& b = w.add("replica-b", seed_b);
        w.start(a);
        w.start(b);
        w.run_for(10s);
        (a.leading() ? a : b).api.set_link(Link::silent);
        w.run_for(120s);
        return std::make_tuple(holder(w.server), a.api.sent(), b.api.sent(), a.started, b.started);
    };
    auto const first = run(7, 8);
    BOOST_TEST((first == run(7, 8)));
    BOOST_TEST((first != run(70, 80)));
}

BOOST_AUTO_TEST_CASE(a_follower_cut_off_from_the_api_follows_the_lease_through_a_new_watch_once_reconnected) {
    LeaderAndFollower w;
    auto& a = w.a;
    auto& b = w.b;
    // Long enough for its broken watch to end at its read deadline (at most 599 s + 30 s) and for
    // its lists to go unanswered.
    b.api.set_link(Link::silent);
    w.run_for(12min);
    BOOST_TEST(b.started.empty());  // a kept renewing: b must not take over
    b.api.set_link(Link::up);
    // The list in flight is abandoned within a minute; after its backoff (at most 36 s) it lists
    // and watches anew.
    w.run_for(100s);
    auto const gets = b.api.count("get");
    w.run_for(2min);
    BOOST_TEST(b.api.count("get") == gets);  // the watch tells it about every renewal again
    auto const stopped_at = w.now();
    a.stop.emit(asio::cancellation_type::terminal);
    w.run_for(0s);
    BOOST_TEST_REQUIRE(b.started.size() == 1u);
    BOOST_TEST((b.started[0] == stopped_at));
}

BOOST_AUTO_TEST_CASE(an_api_that_refuses_at_once_is_asked_again_only_after_the_jittered_retry_period) {
    World w;
    auto& a = w.add("replica-a", 5);
    a.api.refuse_with(500);
    a.api.set_latency(10ms);
    w.start(a);
    w.run_for(60s);
    BOOST_TEST(a.started.empty());
    // One GET per attempt, 2 s to 4.4 s apart (retry period x [1, 2.2)), never back to back.
    std::vector<util::SteadyTime> gets;
    for (auto const& [verb, sent] : a.api.sent())
        if (verb == "get") gets.push_back(sent);
    BOOST_TEST_REQUIRE(gets.size() >= 60u / 5u);
    BOOST_TEST(gets.size() <= 60u / 2u + 1u);
    for (std::size_t i = 1; i < gets.size(); ++i) {
        BOOST_TEST((gets[i] - gets[i - 1] >= 2s + 10ms));
        BOOST_TEST((gets[i] - gets[i - 1] < 4400ms + 10ms));
    }
}

BOOST_AUTO_TEST_CASE(every_lease_request_is_bounded_on_the_elector_clock) {
    testing::VirtualTime time{*util::parse_rfc3339("2026-12-07T12:00:00Z")};
    testing::VirtualClock clock{time};
    sim::Trace trace{time};
    FakeApiServer server{clock, trace};
    asio::io_context io;
    FakeApiEndpoint connection{io.get_executor(), clock, server, "replica-a", trace};
    KubeLeaseApi lease(connection, "ns", "gic");
    BoundedLeaseApi bounded(lease, clock, lease_request_timeout(10s), lease_ref("ns", "gic"));
    connection.set_link(Link::silent);
    std::optional<LeaseResult> answer;
    std::optional<util::SteadyTime> answered_at;
    auto const sent = time.now();
    asio::co_spawn(io, bounded.get(), [&](std::exception_ptr, LeaseResult result) {
        answer = std::move(result);
        answered_at = clock.steady_now();
    });
    testing::run_until(time, {&io}, sent + 1h);
    BOOST_TEST_REQUIRE(answer.has_value());
    BOOST_TEST_REQUIRE(!answer->has_value());
    BOOST_TEST(answer->error().is_transport());
    BOOST_TEST(answer->error().verb == "get");
    BOOST_TEST((*answered_at == sent + 5s));  // max(1 s, renew deadline / 2)
    BOOST_TEST(time.armed() == 0u);           // the unanswered call was cancelled with its timer
    BOOST_TEST(connection.count("get") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
