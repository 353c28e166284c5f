// SecretStore over kube::Api, against an in-test API holding one Secret: get / create / update with
// resourceVersion, conflicts re-read and retried, a newer certificate kept (judged at the store's
// clock), a Secret of another type left alone.

#include "agent/effects/certificate_store.hpp"

#include "agent/effects/secret_object.hpp"
#include "common/virtual_clock.hpp"
#include "fixtures.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>
#include <optional>
#include <string>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;

std::string const spiffe_id = "spiffe://cluster.local/ns/workloads/sa/payments";

// One Secret's worth of API server: optimistic concurrency on metadata.resourceVersion, and
// `conflicts` updates refused with 409 as if another writer got there first.
class OneSecretApi final : public kube::Api {
public:
    asio::awaitable<kube::ApiResult<boost::json::object>> get(kube::ResourceRef const& ref) override {
        ++gets;
        if (get_failures > 0) {
            --get_failures;
            co_return error(503, "ServiceUnavailable", "get", ref);
        }
        if (!secret) co_return error(404, "NotFound", "get", ref);
        co_return *secret;
    }
    asio::awaitable<kube::ApiResult<boost::json::object>> create(kube::ResourceRef const& ref,
                                                                 boost::json::object const& body) override {
        ++creates;
        if (secret) co_return error(409, "AlreadyExists", "create", ref);
        secret = body;
        stamp();
        co_return *secret;
    }
    asio::awaitable<kube::ApiResult<boost::json::object>> update(kube::ResourceRef const& ref,
                                                                 boost::json::object const& body) override {
        ++updates;
        if (!secret) co_return error(404, "NotFound", "update", ref);
        if (conflicts > 0 || version(body) != version(*secret)) {
            if (conflicts > 0) {
                --conflicts;
                stamp();  // the other writer's update
            }
            co_return error(409, "Conflict", "update", ref);
        }
        secret = body;
        stamp();
        co_return *secret;
    }
    asio::awaitable<kube::ApiResult<boost::json::object>> list(kube::ResourceRef const& ref, kube::ListOptions const&) override {
        co_return error(405, "MethodNotAllowed", "list", ref);
    }
    asio::awaitable<kube::ApiResult<std::unique_ptr<kube::WatchStream>>> watch(kube::ResourceRef const& ref,
                                                                                 kube::WatchOptions const&) override {
        co_return error(405, "MethodNotAllowed", "watch", ref);
    }

    std::optional<boost::json::object> secret;
    int conflicts = 0;
    int get_failures = 0;  // the next GETs answered 503
    int gets = 0;
    int creates = 0;
    int updates = 0;

private:
    static std::string version(boost::json::object const& object) {
        auto const* v = object.at("metadata").as_object().if_contains("resourceVersion");
        return v ? std::string(v->as_string()) : std::string();
    }
    void stamp() {
        auto& metadata = secret->at("metadata").as_object();
        metadata["resourceVersion"] = std::to_string(++resource_version_);
        metadata["uid"] = "uid-1";
    }
    static kube::ApiError error(int code, char const* reason, char const* verb, kube::ResourceRef const& ref) {
        kube::ApiError e;
        e.code = code;
        e.reason = e.message = reason;
        e.verb = verb;
        e.resource = ref.resource;
        e.namespace_ = ref.namespace_;
        e.name = ref.name;
        return e;
    }
    int resource_version_ = 100;
};

// A leaf for a new key, signed by `ca` at `at`.
KeyedChain issue_at(emu::CertificateAuthority const& ca, std::chrono::system_clock::time_point at,
                    std::chrono::seconds ttl = 24h) {
    auto key = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
    auto leaf = ca.sign_workload(pki::make_csr_pem(key, spiffe_id).value(), spiffe_id, ttl, at).value();
    return KeyedChain{pki::split_ca_response({leaf.to_pem(), ca.cert().to_pem()}).value(), std::move(key)};
}

template <class T>
T run(asio::io_context& io, asio::awaitable<T> work) {
    std::optional<T> result;
    asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        if (e) std::rethrow_exception(e);
        result.emplace(std::move(value));
    });
    io.run();
    io.restart();
    BOOST_REQUIRE(result.has_value());
    return std::move(*result);
}

struct Fixture {
    // gic::test::issue signs at the machine's time: the store's clock starts there.
    testing::VirtualTime time{std::chrono::system_clock::now()};
    testing::VirtualClock clock{time};
    asio::io_context io;
    OneSecretApi api;
    SecretStore store{api, SecretTarget{"workloads", "payments-tls"}, clock};
    emu::CertificateAuthority root = gic::test::make_root();
    SecretWriteContext context{spiffe_id, {root.cert()}, "replica-1"};

    Result<WriteOutcome> write(KeyedChain const& chain) { return run(io, store.write(chain, context)); }
    void read_ahead() {
        asio::co_spawn(io, store.read_ahead(), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
        io.run();
        io.restart();
    }
    std::string stored_chain() const { return read_tls_material(kube::parse_secret(*api.secret).value()).value().chain_pem; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(secret_store)

BOOST_AUTO_TEST_CASE(creates_then_updates_and_reads_back) {
    Fixture f;
    BOOST_TEST(!run(f.io, f.store.read()).value().has_value());  // 404: nothing stored
    auto const first = gic::test::issue(f.root, spiffe_id);
    BOOST_TEST((f.write(first).value() == WriteOutcome::created));
    BOOST_TEST(f.store.last_seen().uid == "uid-1");
    BOOST_TEST(f.store.last_seen().resource_version == "101");
    auto const second = issue_at(f.root, f.clock.wall_now() + 1min);
    BOOST_TEST((f.write(second).value() == WriteOutcome::updated));
    auto const read = run(f.io, f.store.read()).value();
    BOOST_REQUIRE(read.has_value());
    BOOST_TEST(read->chain_pem == second.material().chain_pem);
    BOOST_TEST(read->key_pem == second.material().key_pem);
}

BOOST_AUTO_TEST_CASE(conflicts_are_read_again_and_retried_a_few_times) {
    Fixture f;
    BOOST_TEST_REQUIRE(f.write(gic::test::issue(f.root, spiffe_id)).has_value());
    auto const renewed = gic::test::issue(f.root, spiffe_id);
    f.api.conflicts = 2;
    f.api.updates = 0;
    BOOST_TEST((f.write(renewed).value() == WriteOutcome::updated));
    BOOST_TEST(f.api.updates == 3);
    BOOST_TEST(f.stored_chain() == renewed.material().chain_pem);
    // Another writer that never lets go: the write fails, naming the Secret, after five attempts.
    f.api.conflicts = 100;
    f.api.updates = 0;
    auto const refused = f.write(gic::test::issue(f.root, spiffe_id));
    BOOST_REQUIRE(refused.has_error());
    BOOST_TEST(refused.error().message.find("workloads/payments-tls") != std::string::npos);
    BOOST_TEST(refused.error().message.find("gave up after 5 conflicting updates") != std::string::npos);
    BOOST_TEST(f.api.updates == 5);
    BOOST_TEST(f.stored_chain() == renewed.material().chain_pem);
}

BOOST_AUTO_TEST_CASE(a_read_ahead_answer_saves_the_first_get) {
    Fixture f;
    BOOST_TEST_REQUIRE(f.write(gic::test::issue(f.root, spiffe_id)).has_value());
    f.read_ahead();
    f.api.gets = 0;
    auto const renewed = gic::test::issue(f.root, spiffe_id);
    BOOST_TEST((f.write(renewed).value() == WriteOutcome::updated));
    BOOST_TEST(f.api.gets == 0);
    BOOST_TEST(f.stored_chain() == renewed.material().chain_pem);
    // Used once: the next write reads for itself.
    BOOST_TEST((f.write(gic::test::issue(f.root, spiffe_id)).value() == WriteOutcome::updated));
    BOOST_TEST(f.api.gets == 1);
}

BOOST_AUTO_TEST_CASE(a_stale_read_ahead_answer_is_a_conflict_read_again) {
    Fixture f;
    BOOST_TEST_REQUIRE(f.write(issue_at(f.root, f.clock.wall_now() - 1h)).has_value());
    f.read_ahead();
    // Another writer stores a newer certificate after our read.
    auto const theirs = issue_at(f.root, f.clock.wall_now() + 1min);
    SecretStore other{f.api, SecretTarget{"workloads", "payments-tls"}, f.clock};
    BOOST_TEST_REQUIRE((run(f.io, other.write(theirs, f.context)).value() == WriteOutcome::updated));
    // Ours is newer than what we read ahead, so the update is sent with that version: a conflict;
    // the Secret is read again, and the newer certificate there is kept.
    f.api.gets = f.api.updates = 0;
    BOOST_TEST((f.write(issue_at(f.root, f.clock.wall_now())).value() == WriteOutcome::kept_newer));
    BOOST_TEST(f.api.updates == 1);
    BOOST_TEST(f.api.gets == 1);
    BOOST_TEST(f.stored_chain() == theirs.material().chain_pem);
}

BOOST_AUTO_TEST_CASE(a_read_ahead_that_found_nothing_but_the_secret_exists_is_read_again) {
    Fixture f;
    auto const theirs = issue_at(f.root, f.clock.wall_now() + 1min);
    f.read_ahead();  // 404
    BOOST_TEST_REQUIRE(run(f.io, SecretStore(f.api, SecretTarget{"workloads", "payments-tls"}, f.clock).write(theirs, f.context)).has_value());
    f.api.gets = f.api.creates = 0;
    BOOST_TEST((f.write(issue_at(f.root, f.clock.wall_now())).value() == WriteOutcome::kept_newer));
    BOOST_TEST(f.api.creates == 1);  // AlreadyExists
    BOOST_TEST(f.api.gets == 1);
    BOOST_TEST(f.stored_chain() == theirs.material().chain_pem);
}

BOOST_AUTO_TEST_CASE(a_failed_read_ahead_is_not_taken_as_the_answer) {
    Fixture f;
    f.api.get_failures = 1;
    f.read_ahead();
    f.api.gets = 0;
    auto const ours = gic::test::issue(f.root, spiffe_id);
    BOOST_TEST((f.write(ours).value() == WriteOutcome::created));  // its own GET found no Secret
    BOOST_TEST(f.api.gets == 1);
}

BOOST_AUTO_TEST_CASE(a_newer_certificate_is_kept_while_it_is_valid_at_the_clock) {
    Fixture f;
    auto const ours = issue_at(f.root, f.clock.wall_now());
    // Another replica renewed ten seconds later.
    auto const newer = issue_at(f.root, f.clock.wall_now() + 10s, 1h);
    BOOST_TEST_REQUIRE(f.write(newer).has_value());
    f.api.updates = 0;
    BOOST_TEST((f.write(ours).value() == WriteOutcome::kept_newer));
    BOOST_TEST(f.api.updates == 0);
    BOOST_TEST(f.stored_chain() == newer.material().chain_pem);
    // Two hours later by the store's clock the newer one has expired: ours replaces it.
    f.clock.jump_wall(2h);
    BOOST_TEST((f.write(ours).value() == WriteOutcome::updated));
    BOOST_TEST(f.stored_chain() == ours.material().chain_pem);
}

BOOST_AUTO_TEST_CASE(a_secret_of_another_type_is_left_alone) {
    Fixture f;
    f.api.secret = boost::json::object{{"apiVersion", "v1"},
                                       {"kind", "Secret"},
                                       {"type", "Opaque"},
                                       {"metadata", boost::json::object{{"name", "payments-tls"}, {"resourceVersion", "7"}}}};
    auto const refused = f.write(gic::test::issue(f.root, spiffe_id));
    BOOST_REQUIRE(refused.has_error());
    BOOST_TEST(refused.error().message.find("has type \"Opaque\"") != std::string::npos);
    BOOST_TEST(f.api.updates == 0);
    BOOST_TEST(run(f.io, f.store.read()).has_error());
}

BOOST_AUTO_TEST_CASE(an_update_sends_back_what_others_put_there) {
    Fixture f;
    f.api.secret = boost::json::parse(R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","immutable":false,
        "metadata":{"name":"payments-tls","namespace":"workloads","resourceVersion":"7","uid":"uid-0",
                    "labels":{"team":"edge"},"annotations":{"note":"keep"},
                    "ownerReferences":[{"kind":"Deployment","name":"gw","uid":"d-1"}],
                    "managedFields":[{"manager":"kubectl","operation":"Apply"}]},
        "data":{"extra":"eA=="}})").as_object();
    auto const before = *f.api.secret;
    BOOST_TEST((f.write(gic::test::issue(f.root, spiffe_id)).value() == WriteOutcome::updated));
    auto const& after = *f.api.secret;
    auto const& metadata = after.at("metadata").as_object();
    BOOST_TEST((metadata.at("ownerReferences") == before.at("metadata").at("ownerReferences")));
    BOOST_TEST((metadata.at("managedFields") == before.at("metadata").at("managedFields")));
    BOOST_TEST(metadata.at("labels").at("team").as_string() == "edge");
    BOOST_TEST(metadata.at("annotations").at("note").as_string() == "keep");
    BOOST_TEST(after.at("immutable").as_bool() == false);
    BOOST_TEST(after.at("data").at("extra").as_string() == "eA==");
    BOOST_TEST(f.stored_chain().find("BEGIN CERTIFICATE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unreadable_secret_names_the_field) {
    Fixture f;
    f.api.secret = boost::json::parse(R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls",
        "metadata":{"name":"payments-tls","resourceVersion":"7"},"data":{"tls.crt":7}})").as_object();
    auto const read = run(f.io, f.store.read());
    BOOST_REQUIRE(read.has_error());
    BOOST_TEST(read.error().message == "Secret workloads/payments-tls: data[tls.crt]: not a string");
    auto const written = f.write(gic::test::issue(f.root, spiffe_id));
    BOOST_REQUIRE(written.has_error());
    BOOST_TEST(written.error().message == "Secret workloads/payments-tls: data[tls.crt]: not a string");
    BOOST_TEST(f.api.updates == 0);
}

BOOST_AUTO_TEST_SUITE_END()
