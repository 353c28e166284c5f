// KubeLeaseApi, the boundary where a Lease object is serialised and read: what goes out on each
// call, what comes back typed, and that an answer which is not a readable Lease is one error there.
// Then an election step over it, to show such an answer fails the attempt and writes nothing.

#include "common/virtual_clock.hpp"
#include "election/election_steps.hpp"
#include "election/lease_api.hpp"
#include "util/time_format.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <vector>

using namespace gic;
using namespace gic::election;
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

// Answers every get/create/update with `answer` (or `error`) and records what was sent.
class ScriptedApi final : public kube::Api {
public:
    std::optional<json::object> answer;
    std::optional<kube::ApiError> error;
    std::vector<std::string> verbs;
    std::vector<json::object> bodies;
    std::vector<kube::ResourceRef> refs;

    asio::awaitable<kube::ApiResult<json::object>> get(kube::ResourceRef const& ref) override {
        co_return reply("get", ref, nullptr);
    }
    asio::awaitable<kube::ApiResult<json::object>> create(kube::ResourceRef const& ref, json::object const& body) override {
        co_return reply("create", ref, &body);
    }
    asio::awaitable<kube::ApiResult<json::object>> update(kube::ResourceRef const& ref, json::object const& body) override {
        co_return reply("update", ref, &body);
    }
    asio::awaitable<kube::ApiResult<json::object>> list(kube::ResourceRef const&, kube::ListOptions const&) override {
        throw std::logic_error("a Lease call never lists");
    }
    asio::awaitable<kube::ApiResult<std::unique_ptr<kube::WatchStream>>> watch(kube::ResourceRef const&,
                                                                               kube::WatchOptions const&) override {
        throw std::logic_error("a Lease call never watches");
    }

private:
    kube::ApiResult<json::object> reply(char const* verb, kube::ResourceRef const& ref, json::object const* body) {
        verbs.push_back(verb);
        refs.push_back(ref);
        if (body != nullptr) bodies.push_back(*body);
        if (error) return *error;
        return answer.value();
    }
};

template <class T>
T run(asio::awaitable<T> op) {
    asio::io_context io;
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    io.run();
    return f.get();
}

json::object stored_lease(char const* holder, char const* transitions = "4") {
    return json::parse(std::string(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
        "metadata":{"name":"gic","namespace":"ns","resourceVersion":"812","uid":"5d0c",
                    "ownerReferences":[{"kind":"Deployment","name":"gw"}]},
        "spec":{"holderIdentity":")") + holder + R"(","leaseDurationSeconds":15,
                "acquireTime":"2026-11-29T15:46:26.123456Z","renewTime":"2026-11-29T15:46:30.654321Z",
                "leaseTransitions":)" + transitions + "}}")
        .as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lease_api)

BOOST_AUTO_TEST_CASE(get_reads_the_answer_into_a_typed_lease) {
    ScriptedApi api;
    api.answer = stored_lease("other");
    KubeLeaseApi leases(api, "ns", "gic");
    auto got = run(leases.get());
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(got->metadata.resource_version == "812");
    BOOST_TEST(got->record.holder_identity == "other");
    BOOST_TEST(got->record.leader_transitions == 4);
    BOOST_TEST((*got->raw == *api.answer));
    BOOST_TEST(api.refs.at(0).path() == "/apis/coordination.k8s.io/v1/namespaces/ns/leases/gic");
}

BOOST_AUTO_TEST_CASE(update_sends_the_typed_fields_and_everything_read) {
    ScriptedApi api;
    api.answer = stored_lease("me");
    KubeLeaseApi leases(api, "ns", "gic");
    auto lease = parse_lease(stored_lease("other")).value();
    lease.record.holder_identity = "me";
    lease.record.leader_transitions = 5;
    auto updated = run(leases.update(lease));
    BOOST_TEST_REQUIRE(updated.has_value());
    BOOST_TEST(updated->record.holder_identity == "me");
    auto const& sent = api.bodies.at(0);
    BOOST_TEST(api.verbs.at(0) == "update");
    BOOST_TEST(sent.at("metadata").at("resourceVersion").as_string() == "812");  // optimistic concurrency
    BOOST_TEST(sent.at("spec").at("holderIdentity").as_string() == "me");
    BOOST_TEST(sent.at("spec").at("leaseTransitions").as_int64() == 5);
    BOOST_TEST((sent.at("metadata").at("ownerReferences") == stored_lease("x").at("metadata").at("ownerReferences")));
}

BOOST_AUTO_TEST_CASE(create_sends_a_complete_new_object) {
    ScriptedApi api;
    api.answer = stored_lease("me", "0");
    KubeLeaseApi leases(api, "ns", "gic");
    LeaderElectionRecord record;
    record.holder_identity = "me";
    record.lease_duration_seconds = 15;
    record.renew_time = record.acquire_time = to_wall_time(*util::parse_rfc3339("2026-11-29T16:00:00Z"));
    auto created = run(leases.create(new_lease("ns", "gic", record)));
    BOOST_TEST_REQUIRE(created.has_value());
    auto const& sent = api.bodies.at(0);
    BOOST_TEST(sent.at("apiVersion").as_string() == "coordination.k8s.io/v1");
    BOOST_TEST(sent.at("kind").as_string() == "Lease");
    BOOST_TEST(sent.at("metadata").at("name").as_string() == "gic");
    BOOST_TEST(sent.at("metadata").at("namespace").as_string() == "ns");
    BOOST_TEST(!sent.at("metadata").as_object().contains("resourceVersion"));
    BOOST_TEST(sent.at("spec").at("acquireTime").as_string() == "2026-11-29T16:00:00.000000Z");
}

BOOST_AUTO_TEST_CASE(an_unreadable_answer_is_one_error_naming_the_field) {
    for (char const* verb : {"get", "update"}) {
        BOOST_TEST_CONTEXT(verb) {
            ScriptedApi api;
            api.answer = stored_lease("other", "\"many\"");
            KubeLeaseApi leases(api, "ns", "gic");
            auto answered = std::string(verb) == "get" ? run(leases.get())
                                                       : run(leases.update(parse_lease(stored_lease("me")).value()));
            BOOST_TEST_REQUIRE(!answered.has_value());
            auto const& e = answered.error();
            BOOST_TEST(e.reason == "Malformed");
            BOOST_TEST(e.verb == verb);
            BOOST_TEST(e.api_group == "coordination.k8s.io");
            BOOST_TEST(e.describe() == std::string(verb) +
                                           " leases \"ns/gic\": the answer is not a readable Lease: "
                                           "Lease spec.leaseTransitions: not an int32");
        }
    }
}

BOOST_AUTO_TEST_CASE(api_errors_pass_through_unchanged) {
    ScriptedApi api;
    kube::ApiError not_found;
    not_found.code = 404;
    not_found.reason = "NotFound";
    api.error = not_found;
    KubeLeaseApi leases(api, "ns", "gic");
    auto got = run(leases.get());
    BOOST_TEST_REQUIRE(!got.has_value());
    BOOST_TEST(got.error().is_not_found());
}

BOOST_AUTO_TEST_CASE(an_unreadable_lease_fails_the_attempt_and_writes_nothing) {
    ScriptedApi api;
    api.answer = stored_lease("other", "1.5");
    KubeLeaseApi leases(api, "ns", "gic");
    testing::VirtualTime time{*util::parse_rfc3339("2026-11-29T16:00:00Z")};
    testing::VirtualClock clock{time};
    ElectionState state{"ns", "gic", "me", std::chrono::seconds(15)};
    auto attempt = run(try_acquire_or_renew(leases, state, clock));
    BOOST_TEST(int(attempt.outcome) == int(Attempt::Outcome::failed));
    BOOST_TEST(attempt.error.find("reading Lease ns/gic: get leases \"ns/gic\": the answer is not a readable Lease: "
                                  "Lease spec.leaseTransitions: not an int32") == 0,
               attempt.error);
    BOOST_TEST(api.verbs == std::vector<std::string>{"get"}, boost::test_tools::per_element());
    BOOST_TEST(!state.observed().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
