// The simulated world's own semantics, which every invariant relies on: the fake API server's
// resourceVersion, 404/409/410, watch replay and bookmarks, the endpoint's faults (a silent
// connection, any refusal code) and request log, the fake CA's tokens, signing on the simulated
// clock and root rotation, and the schedule's determinism.
#define BOOST_TEST_MODULE sim_fakes
#include "fake_api_server.hpp"
#include "fake_ca.hpp"
#include "fault_schedule.hpp"

#include "pki/chain.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>

namespace gic::sim {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using boost::asio::awaitable;

constexpr util::WallTime wall_start{std::chrono::seconds(1'893'456'000)};  // 2030-01-01T00:00:00Z

// Named objects, never temporaries, inside co_await expressions (g++ 12 may destroy those twice).
kube::ResourceRef const the_secret{"v1", "secrets", "ns", "gateway-cert", ""};
kube::ResourceRef const the_secrets{"v1", "secrets", "ns", "", ""};

json::object secret_body(std::string const& name, std::string const& rv = {}) {
    json::object metadata{{"name", name}, {"namespace", "ns"}};
    if (!rv.empty()) metadata["resourceVersion"] = rv;
    return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", std::move(metadata)}, {"type", "kubernetes.io/tls"}};
}

std::string rv_of(json::object const& object) {
    return std::string(object.at("metadata").at("resourceVersion").as_string());
}

struct World {
    testing::VirtualTime time{wall_start};
    testing::VirtualClock server_clock{time};
    testing::VirtualClock replica_clock{time};
    Trace trace{time};
    FakeApiServer server{server_clock, trace};
    boost::asio::io_context io;
    FakeApiEndpoint endpoint{io.get_executor(), replica_clock, server, "r0", trace};

    // Runs `body` to its end in virtual time (at most `limit`).
    template <class F>
    void run(F body, std::chrono::milliseconds limit = 10min) {
        bool done = false;
        boost::asio::co_spawn(io, finish(std::move(body), &done), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
        testing::run_until(time, {&io}, time.now() + limit, [&] { return done; });
        BOOST_REQUIRE(done);
    }

    template <class F>
    static awaitable<void> finish(F body, bool* done) {
        co_await body();
        *done = true;
    }
};

BOOST_AUTO_TEST_CASE(create_get_update_follow_kubernetes_semantics) {
    World w;
    w.run([&]() -> awaitable<void> {
        auto missing = co_await w.endpoint.get(the_secret);
        BOOST_TEST(missing.error().is_not_found());
        BOOST_TEST(missing.error().reason == "NotFound");
        auto const body1 = secret_body("gateway-cert");
        auto created = co_await w.endpoint.create(the_secrets, body1);
        BOOST_REQUIRE(created.has_value());
        BOOST_TEST(!created->at("metadata").at("uid").as_string().empty());
        auto const first_rv = rv_of(*created);
        auto const body2 = secret_body("gateway-cert");
        auto again = co_await w.endpoint.create(the_secrets, body2);
        BOOST_TEST(again.error().is_already_exists());
        auto const body3 = secret_body("gateway-cert", first_rv);
        auto updated = co_await w.endpoint.update(the_secret, body3);
        BOOST_REQUIRE(updated.has_value());
        BOOST_TEST(std::stoull(rv_of(*updated)) > std::stoull(first_rv));
        BOOST_TEST(updated->at("metadata").at("uid") == created->at("metadata").at("uid"));
        auto const body4 = secret_body("gateway-cert", first_rv);
        auto stale = co_await w.endpoint.update(the_secret, body4);
        BOOST_TEST(stale.error().is_conflict());
        BOOST_TEST(stale.error().message.find("the object has been modified") != std::string::npos);
        kube::ListOptions const by_name{"metadata.name=gateway-cert", ""};
        auto listed = co_await w.endpoint.list(the_secrets, by_name);
        BOOST_REQUIRE(listed.has_value());
        BOOST_TEST(listed->at("items").as_array().size() == 1u);
        BOOST_TEST(rv_of(*listed) == std::to_string(w.server.resource_version()));
        kube::ListOptions const other_name{"metadata.name=other", ""};
        auto other = co_await w.endpoint.list(the_secrets, other_name);
        BOOST_TEST(other->at("items").as_array().empty());
    });
    BOOST_TEST(w.endpoint.requests().at("update secrets") == 2u);
}

BOOST_AUTO_TEST_CASE(watch_replays_changes_sends_bookmarks_and_ends_at_its_timeout) {
    World w;
    w.run([&]() -> awaitable<void> {
        auto const body5 = secret_body("gateway-cert");
        auto created = co_await w.endpoint.create(the_secrets, body5);
        auto const from = rv_of(*created);
        auto const body6 = secret_body("gateway-cert", from);
        (void)co_await w.endpoint.update(the_secret, body6);
        auto const body7 = secret_body("unrelated");
        (void)co_await w.endpoint.create(the_secrets, body7);
        kube::WatchOptions options;
        options.field_selector = "metadata.name=gateway-cert";
        options.resource_version = from;
        options.timeout_seconds = 60s;
        auto stream = co_await w.endpoint.watch(the_secrets, options);
        BOOST_REQUIRE(stream.has_value());
        auto modified = co_await (*stream)->next();
        BOOST_REQUIRE(modified.has_value() && modified->has_value());
        BOOST_TEST(static_cast<int>((*modified)->type) == static_cast<int>(kube::WatchEventType::modified));
        auto const opened = w.replica_clock.steady_now();
        auto bookmark = co_await (*stream)->next();
        BOOST_REQUIRE(bookmark.has_value() && bookmark->has_value());
        BOOST_TEST(static_cast<int>((*bookmark)->type) == static_cast<int>(kube::WatchEventType::bookmark));
        BOOST_TEST((w.replica_clock.steady_now() - opened <= 31s));
        auto ended = co_await (*stream)->next();
        BOOST_REQUIRE(ended.has_value());
        BOOST_TEST(!ended->has_value());
        BOOST_TEST((w.replica_clock.steady_now() - opened >= 59s));
    });
}

BOOST_AUTO_TEST_CASE(a_live_watch_sees_a_change_at_once) {
    World w;
    w.run([&]() -> awaitable<void> {
        auto const body8 = secret_body("gateway-cert");
        auto created = co_await w.endpoint.create(the_secrets, body8);
        kube::WatchOptions options;
        options.resource_version = rv_of(*created);
        auto stream = co_await w.endpoint.watch(the_secrets, options);
        BOOST_REQUIRE(stream.has_value());
        // Another writer changes the object 5 s later, straight at the server.
        auto const before = w.replica_clock.steady_now();
        util::Timer later(w.io.get_executor(), w.server_clock);
        later.expires_after(5s);
        boost::asio::co_spawn(w.io, [](World* world, util::Timer* timer, std::string rv) -> awaitable<void> {
            co_await timer->wait();
            (void)world->server.update(the_secret, secret_body("gateway-cert", rv), "r9");
        }(&w, &later, rv_of(*created)), boost::asio::detached);
        auto event = co_await (*stream)->next();
        BOOST_REQUIRE(event.has_value() && event->has_value());
        BOOST_TEST(static_cast<int>((*event)->type) == static_cast<int>(kube::WatchEventType::modified));
        BOOST_TEST((w.replica_clock.steady_now() - before == 5s));
    });
}

BOOST_AUTO_TEST_CASE(a_watch_from_a_compacted_version_gets_410) {
    World w;
    w.server.history_window = 30s;
    w.run([&]() -> awaitable<void> {
        auto const body9 = secret_body("gateway-cert");
        auto created = co_await w.endpoint.create(the_secrets, body9);
        auto rv = rv_of(*created);
        auto const old = rv;
        for (int i = 0; i < 5; ++i) {
            co_await util::sleep_for(w.replica_clock, 20s);
            auto const body10 = secret_body("gateway-cert", rv);
            auto updated = co_await w.endpoint.update(the_secret, body10);
            rv = rv_of(*updated);
        }
        kube::WatchOptions options;
        options.resource_version = old;
        auto gone = co_await w.endpoint.watch(the_secrets, options);
        BOOST_REQUIRE(!gone.has_value());
        BOOST_TEST(gone.error().code == 410);
        BOOST_TEST(gone.error().reason == "Expired");
        options.resource_version = rv;
        auto fresh = co_await w.endpoint.watch(the_secrets, options);
        BOOST_TEST(fresh.has_value());
        // Forced 410: once as the answer, once as an ERROR event on the stream.
        auto faults = w.endpoint.faults();
        faults.forced_gone = 2;
        w.endpoint.set_faults(faults);
        auto answer = co_await w.endpoint.watch(the_secrets, options);
        BOOST_TEST(answer.error().code == 410);
        auto as_event = co_await w.endpoint.watch(the_secrets, options);
        BOOST_REQUIRE(as_event.has_value());
        auto error = co_await (*as_event)->next();
        BOOST_REQUIRE(error.has_value() && error->has_value());
        BOOST_TEST(static_cast<int>((*error)->type) == static_cast<int>(kube::WatchEventType::error));
        BOOST_TEST((*error)->object.at("code").as_int64() == 410);
    });
}

BOOST_AUTO_TEST_CASE(endpoint_faults_answer_like_a_broken_network_or_server) {
    World w;
    w.run([&]() -> awaitable<void> {
        auto const body11 = secret_body("gateway-cert");
        (void)co_await w.endpoint.create(the_secrets, body11);
        auto faults = w.endpoint.faults();
        faults.link = Link::partitioned_hang;
        w.endpoint.set_faults(faults);
        auto const start = w.replica_clock.steady_now();
        auto hung = co_await w.endpoint.get(the_secret);
        BOOST_TEST(hung.error().is_transport());
        BOOST_TEST((w.replica_clock.steady_now() - start == w.endpoint.request_timeout));

        faults.link = Link::partitioned_fail;
        w.endpoint.set_faults(faults);
        auto failed = co_await w.endpoint.get(the_secret);
        BOOST_TEST(failed.error().is_transport());

        // Black hole: the update is applied, its answer lost.
        faults.link = Link::black_hole;
        w.endpoint.set_faults(faults);
        auto const version_before = w.server.resource_version();
        auto const current = *w.server.find({"secrets", "ns", "gateway-cert"});
        auto const body12 = secret_body("gateway-cert", rv_of(current));
        auto lost = co_await w.endpoint.update(the_secret, body12);
        BOOST_TEST(lost.error().is_transport());
        BOOST_TEST(w.server.resource_version() == version_before + 1);

        faults = {};
        faults.error_code = 429;
        faults.retry_after = 7s;
        w.endpoint.set_faults(faults);
        auto limited = co_await w.endpoint.get(the_secret);
        BOOST_TEST(limited.error().code == 429);
        BOOST_TEST(limited.error().is_retriable());
        BOOST_REQUIRE(limited.error().retry_after.has_value());
        BOOST_TEST(limited.error().retry_after->count() == 7);

        faults = {};
        faults.error_code = 500;
        w.endpoint.set_faults(faults);
        auto server_error = co_await w.endpoint.get(the_secret);
        BOOST_TEST(server_error.error().code == 500);

        faults = {};
        faults.forbidden = true;
        w.endpoint.set_faults(faults);
        auto denied = co_await w.endpoint.get(the_secret);
        BOOST_TEST(denied.error().is_forbidden());

        faults = {};
        faults.forced_conflicts = 1;
        w.endpoint.set_faults(faults);
        auto const now = *w.server.find({"secrets", "ns", "gateway-cert"});
        auto const body13 = secret_body("gateway-cert", rv_of(now));
        auto conflict = co_await w.endpoint.update(the_secret, body13);
        BOOST_TEST(conflict.error().is_conflict());
        auto const body14 = secret_body("gateway-cert", rv_of(now));
        auto fine = co_await w.endpoint.update(the_secret, body14);
        BOOST_TEST(fine.has_value());
    });
}

BOOST_AUTO_TEST_CASE(requests_are_logged_with_their_send_times_and_any_refusal_code_is_answered) {
    World w;
    w.endpoint.set_latency(10ms);
    w.run([&]() -> awaitable<void> {
        auto const sent_at = w.replica_clock.steady_now();
        auto const body = secret_body("gateway-cert");
        auto created = co_await w.endpoint.create(the_secrets, body);
        BOOST_TEST(created.has_value());
        // Taken by the server half-way through the round trip.
        BOOST_REQUIRE(w.endpoint.last_write("secrets").has_value());
        BOOST_TEST((*w.endpoint.last_write("secrets") == sent_at + 5ms));
        BOOST_TEST(!w.endpoint.last_write("leases").has_value());
        for (int code : {404, 409, 422, 500}) {
            w.endpoint.refuse_with(code);
            auto refused = co_await w.endpoint.get(the_secret);
            BOOST_REQUIRE(!refused.has_value());
            BOOST_TEST(refused.error().code == code);
        }
        w.endpoint.refuse_with(0);
        auto served = co_await w.endpoint.get(the_secret);
        BOOST_TEST(served.has_value());
        BOOST_TEST(w.endpoint.count("get") == 5u);
        BOOST_TEST(w.endpoint.count("create") == 1u);
        BOOST_REQUIRE(w.endpoint.sent().size() == 6u);
        BOOST_TEST(w.endpoint.sent()[0].first == "create");
        BOOST_TEST((w.endpoint.sent()[0].second == sent_at));
        BOOST_TEST((w.endpoint.sent()[1].second == sent_at + 10ms));
    });
}

BOOST_AUTO_TEST_CASE(a_silent_connection_answers_nothing_until_the_caller_gives_up) {
    using namespace boost::asio::experimental::awaitable_operators;
    World w;
    w.run([&]() -> awaitable<void> {
        auto const body = secret_body("gateway-cert");
        (void)co_await w.endpoint.create(the_secrets, body);
        kube::WatchOptions options;
        options.timeout_seconds = 300s;
        options.idle_grace = 30s;
        auto stream = co_await w.endpoint.watch(the_secrets, options);
        BOOST_REQUIRE(stream.has_value());
        auto const opened = w.replica_clock.steady_now();
        w.endpoint.set_link(Link::silent);

        // The open watch stalls: its read deadline (timeout + idle grace) ends it.
        auto stalled = co_await (*stream)->next();
        BOOST_TEST(stalled.error().is_transport());
        BOOST_TEST((w.replica_clock.steady_now() == opened + 330s));

        // Far past request_timeout: only the caller's own deadline ends the call, and the request
        // never reached the server.
        auto const version = w.server.resource_version();
        auto const current = *w.server.find({"secrets", "ns", "gateway-cert"});
        auto const update = secret_body("gateway-cert", rv_of(current));
        auto const start = w.replica_clock.steady_now();
        auto race = w.endpoint.update(the_secret, update) || util::sleep_for(w.replica_clock, 1h);
        auto const raced = co_await std::move(race);
        BOOST_TEST(raced.index() == 1u);
        BOOST_TEST((w.replica_clock.steady_now() - start == 1h));
        BOOST_TEST(w.server.resource_version() == version);
        BOOST_TEST(w.time.armed() == 0u);  // the abandoned call's wait went with it
    }, 2h);
}

BOOST_AUTO_TEST_CASE(a_partition_breaks_an_open_watch) {
    World w;
    w.run([&]() -> awaitable<void> {
        kube::WatchOptions options;
        options.timeout_seconds = 300s;
        options.idle_grace = 30s;
        auto stream = co_await w.endpoint.watch(the_secrets, options);
        BOOST_REQUIRE(stream.has_value());
        auto faults = w.endpoint.faults();
        faults.link = Link::partitioned_fail;
        w.endpoint.set_faults(faults);
        auto broken = co_await (*stream)->next();
        BOOST_TEST(broken.error().is_transport());

        faults.link = Link::up;
        w.endpoint.set_faults(faults);
        auto stalled = co_await w.endpoint.watch(the_secrets, options);
        faults.link = Link::partitioned_hang;
        w.endpoint.set_faults(faults);
        auto const start = w.replica_clock.steady_now();
        auto deadline = co_await (*stalled)->next();
        BOOST_TEST(deadline.error().is_transport());
        BOOST_TEST((w.replica_clock.steady_now() - start <= 330s));
    });
}

BOOST_AUTO_TEST_CASE(the_ca_signs_on_the_simulated_clock_checks_tokens_and_rotates_roots) {
    testing::VirtualTime time{wall_start};
    testing::VirtualClock clock{time};
    Trace trace{time};
    FakeIstiod istiod(clock, trace, "cluster.local", "ns", "gateway");
    int bundle_changes = 0;
    istiod.on_bundle_changed = [&] { ++bundle_changes; };
    auto key = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
    auto csr = pki::make_csr_pem(key, istiod.spiffe_id()).value();
    istio::CertificateRequest request{csr, 3600s, istiod.current_token()};

    auto answer = istiod.create_certificate(request, "r0");
    BOOST_REQUIRE(answer.has_value());
    auto issued = pki::split_ca_response(*answer).value();
    BOOST_TEST((issued.leaf().not_before() == wall_start - 2min));
    BOOST_TEST((issued.leaf().not_after() == wall_start + 1h));
    BOOST_TEST(pki::validate_issued(issued, key, istiod.spiffe_id(), istiod.published_roots(), clock.wall_now()).has_value());

    request.token = "sa-token:system:serviceaccount:ns:other:1";
    BOOST_TEST(istiod.create_certificate(request, "r0").error().code == grpc::StatusCode::UNAUTHENTICATED);
    auto const old_token = istiod.current_token();
    istiod.rotate_token(60s);
    request.token = old_token;
    BOOST_TEST(istiod.create_certificate(request, "r0").has_value());
    time.advance_to(time.now() + 61s);
    BOOST_TEST(!istiod.create_certificate(request, "r0").has_value());
    request.token = istiod.current_token();
    BOOST_TEST(istiod.create_certificate(request, "r0").has_value());

    // Root rotation: both roots published, then the new one signs, then the old one leaves.
    auto const first_root = istiod.published_roots().front().fingerprint_sha256();
    istiod.rotate_root();
    BOOST_TEST(istiod.published_roots().size() == 2u);
    BOOST_TEST(istiod.published_fingerprints().size() == 2u);
    BOOST_TEST(istiod.published_fingerprints().front() == first_root);
    auto before_switch = pki::split_ca_response(istiod.create_certificate(request, "r0").value()).value();
    BOOST_TEST(pki::verify_chain(before_switch.chain, {istiod.published_roots().front()}, clock.wall_now()).has_value());
    istiod.rotate_root();
    auto after_switch = pki::split_ca_response(istiod.create_certificate(request, "r0").value()).value();
    BOOST_TEST(!pki::verify_chain(after_switch.chain, {istiod.published_roots().front()}, clock.wall_now()).has_value());
    BOOST_TEST(pki::verify_chain(after_switch.chain, istiod.published_roots(), clock.wall_now()).has_value());
    istiod.rotate_root();
    BOOST_TEST(istiod.published_roots().size() == 1u);
    BOOST_TEST(istiod.published_roots().front().fingerprint_sha256() != first_root);
    BOOST_TEST(istiod.roots_ever_published().size() == 2u);
    // The fingerprints the invariants read follow the published bundle.
    BOOST_TEST(istiod.published_fingerprints() ==
               std::vector<std::string>{istiod.published_roots().front().fingerprint_sha256()});
    BOOST_TEST(bundle_changes == 2);

    // Wrong answers are well-formed and fail the agent's own validation.
    istiod.faults.bad_answers = 4;
    for (int i = 0; i < 4; ++i) {
        auto bad = pki::split_ca_response(istiod.create_certificate(request, "r0").value());
        bool const valid =
            bad && pki::validate_issued(*bad, key, istiod.spiffe_id(), istiod.published_roots(), clock.wall_now());
        BOOST_TEST(!valid);
    }
}

BOOST_AUTO_TEST_CASE(a_schedule_is_a_function_of_its_seed) {
    ScheduleConfig config;
    auto const a = make_schedule(42, config);
    auto const b = make_schedule(42, config);
    auto const c = make_schedule(43, config);
    BOOST_REQUIRE(a.size() == b.size());
    std::string text_a, text_b, text_c;
    for (auto const& f : a) text_a += describe(f) + "@" + std::to_string(f.at.count()) + "\n";
    for (auto const& f : b) text_b += describe(f) + "@" + std::to_string(f.at.count()) + "\n";
    for (auto const& f : c) text_c += describe(f) + "@" + std::to_string(f.at.count()) + "\n";
    BOOST_TEST(text_a == text_b);
    BOOST_TEST(text_a != text_c);
    for (auto const& f : a) BOOST_TEST((f.at + f.duration <= config.run_length - config.quiet_tail));
}

}  // namespace
}  // namespace gic::sim
