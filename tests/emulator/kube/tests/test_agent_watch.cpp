// The agent's kube::list and kube::watch against the emulator binary: a Lease's life seen as
// ADDED/MODIFIED/DELETED, the ERROR 410 after the history was trimmed, a stalled watch ended by
// the client's deadline.

#include "emulator_fixture.hpp"
#include "kube/client.hpp"
#include "kube/rest_config.hpp"
#include "kube/watch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

using namespace gic::emu::kube::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;
namespace kube = gic::kube;

namespace {

std::string const leases = "/apis/coordination.k8s.io/v1/namespaces/ns1/leases";
kube::ResourceRef const leases_ref{"coordination.k8s.io/v1", "leases", "ns1", "", ""};

json::object lease(std::string const& holder) {
    return {{"apiVersion", "coordination.k8s.io/v1"},
            {"kind", "Lease"},
            {"metadata", json::object{{"name", "l1"}}},
            {"spec", json::object{{"holderIdentity", holder}, {"leaseDurationSeconds", 15}}}};
}

struct AgentClient {
    explicit AgentClient(RunningEmulator const& emu) {
        auto config = kube::load_kubeconfig(emu.admin_kubeconfig());
        BOOST_TEST_REQUIRE(config.has_value(), (config.has_error() ? config.error().message : std::string{}));
        client = std::make_unique<kube::Client>(io.get_executor(), *config);
    }

    template <class T>
    T run(asio::awaitable<T> awaitable) {
        std::optional<T> out;
        std::exception_ptr error;
        asio::co_spawn(io, std::move(awaitable), [&](std::exception_ptr e, T value) {
            error = e;
            if (!e) out.emplace(std::move(value));
        });
        io.restart();
        io.run_for(30s);
        if (error) std::rethrow_exception(error);
        BOOST_REQUIRE_MESSAGE(out.has_value(), "the operation did not complete");
        return std::move(*out);
    }

    asio::io_context io;
    std::unique_ptr<kube::Client> client;
};

struct Drained {
    std::vector<kube::WatchEvent> events;
    std::optional<kube::ApiError> error;
    bool ended = false;
};

asio::awaitable<Drained> drain(kube::WatchStream& stream) {
    Drained d;
    for (;;) {
        auto next = co_await stream.next();
        if (!next) {
            d.error = next.error();
            co_return d;
        }
        if (!*next) {
            d.ended = true;
            co_return d;
        }
        d.events.push_back(std::move(**next));
    }
}

std::unique_ptr<kube::WatchStream> open(AgentClient& agent, kube::WatchOptions const& options) {
    auto opened = agent.run(kube::watch(*agent.client, leases_ref, options));
    BOOST_TEST_REQUIRE(opened.has_value(), (opened.has_error() ? opened.error().describe() : std::string{}));
    return std::move(*opened);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_watch)

BOOST_AUTO_TEST_CASE(a_lease_created_updated_and_deleted_is_seen_in_order) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    AgentClient agent(emu);
    auto listed = agent.run(kube::list(*agent.client, leases_ref, kube::ListOptions{}));
    BOOST_TEST_REQUIRE(listed.has_value());
    BOOST_TEST(listed->at("items").as_array().empty());
    kube::WatchOptions options;
    options.resource_version = std::string(listed->at("metadata").at("resourceVersion").as_string());
    options.field_selector = "metadata.name=l1";
    options.timeout_seconds = 3s;
    auto stream = open(agent, options);

    auto admin = emu.admin();
    auto created = admin.post(leases, lease("a")).json();
    created["spec"].as_object()["holderIdentity"] = "b";
    BOOST_TEST_REQUIRE(admin.put(leases + "/l1", created).status == 200u);
    BOOST_TEST_REQUIRE(admin.del(leases + "/l1").status == 200u);

    auto const drained = agent.run(drain(*stream));
    BOOST_TEST(drained.ended, (drained.error ? drained.error->describe() : std::string{}));
    // Bookmarks may come too (allowed by default); the changes are in order.
    std::vector<kube::WatchEvent> changes;
    for (auto const& e : drained.events)
        if (e.type != kube::WatchEventType::bookmark) changes.push_back(e);
    BOOST_TEST_REQUIRE(changes.size() == 3u);
    BOOST_TEST((changes[0].type == kube::WatchEventType::added));
    BOOST_TEST((changes[1].type == kube::WatchEventType::modified));
    BOOST_TEST(changes[1].object.at("spec").at("holderIdentity").as_string() == "b");
    BOOST_TEST((changes[2].type == kube::WatchEventType::deleted));
}

BOOST_AUTO_TEST_CASE(an_old_version_after_history_trimming_gets_error_410) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--watch-history", "2"});
    AgentClient agent(emu);
    auto listed = agent.run(kube::list(*agent.client, leases_ref, kube::ListOptions{}));
    BOOST_TEST_REQUIRE(listed.has_value());
    auto const old_rv = std::string(listed->at("metadata").at("resourceVersion").as_string());
    auto admin = emu.admin();
    auto current = admin.post(leases, lease("a")).json();
    for (auto holder : {"b", "c"}) {
        current["spec"].as_object()["holderIdentity"] = holder;
        current = admin.put(leases + "/l1", current).json();
    }
    kube::WatchOptions options;
    options.resource_version = old_rv;
    auto stream = open(agent, options);
    auto const drained = agent.run(drain(*stream));
    BOOST_TEST(drained.ended);
    BOOST_TEST_REQUIRE(drained.events.size() == 1u);
    BOOST_TEST((drained.events[0].type == kube::WatchEventType::error));
    BOOST_TEST(drained.events[0].object.at("code").as_int64() == 410);
    BOOST_TEST(drained.events[0].object.at("reason").as_string() == "Expired");
}

BOOST_AUTO_TEST_CASE(a_stalled_watch_ends_at_the_client_deadline) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto fault = emu.admin().post("/emulator/v1/faults", json::object{{"resource", "leases"}, {"stallWatch", true}});
    BOOST_TEST_REQUIRE(fault.status == 201u, fault.body);
    AgentClient agent(emu);
    kube::WatchOptions options;
    options.timeout_seconds = 1s;
    options.idle_grace = 1s;
    auto stream = open(agent, options);
    auto const drained = agent.run(drain(*stream));
    BOOST_TEST(drained.events.empty());
    BOOST_TEST_REQUIRE(drained.error.has_value());
    BOOST_TEST(drained.error->is_transport());
    BOOST_TEST(drained.error->message.find("no data before the read deadline") != std::string::npos,
               drained.error->message);
}

BOOST_AUTO_TEST_SUITE_END()
