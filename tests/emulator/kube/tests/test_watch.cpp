// Watch streams of the emulator over the wire: replay semantics, filters, bookmarks, 410
// Expired after history trimming, and the stream fault injections.

#include "emulator_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <future>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

using namespace gic::emu::kube::test;
namespace json = boost::json;

namespace {

std::string const leases = "/apis/coordination.k8s.io/v1/namespaces/ns1/leases";

json::object lease(std::string const& name, std::string const& holder) {
    return {{"apiVersion", "coordination.k8s.io/v1"},
            {"kind", "Lease"},
            {"metadata", json::object{{"name", name}, {"namespace", "ns1"}}},
            {"spec", json::object{{"holderIdentity", holder}, {"leaseDurationSeconds", 15}}}};
}

// The events of a finished stream, one JSON object per line.
std::vector<json::object> events_of(HttpResult const& r) {
    std::vector<json::object> out;
    std::istringstream lines(r.body);
    std::string line;
    while (std::getline(lines, line))
        if (!line.empty()) out.push_back(json::parse(line).as_object());
    return out;
}

std::string type_of(json::object const& e) { return std::string(e.at("type").as_string()); }
std::string name_of(json::object const& e) {
    return std::string(e.at("object").at("metadata").at("name").as_string());
}
std::string rv_of(json::object const& o) { return std::string(o.at("metadata").at("resourceVersion").as_string()); }

// Waits until the emulator has logged a watch request on `path` (the watch is then subscribed).
void wait_for_watch(RunningEmulator const& emu, std::string const& path, std::size_t count = 1) {
    for (int i = 0; i < 500; ++i) {
        std::size_t seen = 0;
        auto const log = emu.admin().get("/emulator/v1/requests").json();
        for (auto const& v : log.at("items").as_array())
            if (v.at("verb").as_string() == "watch" && v.at("path").as_string() == path) ++seen;
        if (seen >= count) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_FAIL("the watch on " << path << " was never opened");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(watch)

BOOST_AUTO_TEST_CASE(resource_version_zero_replays_current_objects_then_streams_changes) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.post(leases, lease("l1", "a")).status == 201u);
    auto watcher = std::async(std::launch::async, [&] {
        return admin.get(leases + "?watch=1&resourceVersion=0&timeoutSeconds=3");
    });
    wait_for_watch(emu, leases);
    auto current = admin.get(leases + "/l1").json();
    current["spec"].as_object()["holderIdentity"] = "b";
    BOOST_TEST_REQUIRE(admin.put(leases + "/l1", current).status == 200u);
    BOOST_TEST_REQUIRE(admin.post(leases, lease("l2", "c")).status == 201u);
    BOOST_TEST_REQUIRE(admin.del(leases + "/l1").status == 200u);

    auto r = watcher.get();
    BOOST_TEST_REQUIRE(r.status == 200u, r.error);
    BOOST_TEST(r.header("transfer-encoding") == "chunked");
    BOOST_TEST(r.header("content-type") == "application/json");
    auto events = events_of(r);
    BOOST_TEST_REQUIRE(events.size() == 4u, r.body);
    BOOST_TEST((type_of(events[0]) == "ADDED" && name_of(events[0]) == "l1"));
    BOOST_TEST(events[0].at("object").at("kind").as_string() == "Lease");
    BOOST_TEST((type_of(events[1]) == "MODIFIED" && name_of(events[1]) == "l1"));
    BOOST_TEST(events[1].at("object").at("spec").at("holderIdentity").as_string() == "b");
    BOOST_TEST((type_of(events[2]) == "ADDED" && name_of(events[2]) == "l2"));
    BOOST_TEST((type_of(events[3]) == "DELETED" && name_of(events[3]) == "l1"));
    // DELETED carries the last state.
    BOOST_TEST(events[3].at("object").at("spec").at("holderIdentity").as_string() == "b");
    BOOST_TEST(std::stoull(rv_of(events[3].at("object").as_object())) >
               std::stoull(rv_of(events[1].at("object").as_object())));
}

BOOST_AUTO_TEST_CASE(a_resource_version_resumes_strictly_after_it_with_the_field_selector) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.post(leases, lease("l1", "a")).status == 201u);
    auto list = admin.get(leases).json();
    auto list_rv = rv_of(list);
    BOOST_TEST_REQUIRE(admin.post(leases, lease("l2", "b")).status == 201u);
    auto l1 = admin.get(leases + "/l1").json();
    l1["spec"].as_object()["holderIdentity"] = "z";
    BOOST_TEST_REQUIRE(admin.put(leases + "/l1", l1).status == 200u);

    // Both watches last their 1 s timeout: they run side by side.
    auto all_watch = std::async(std::launch::async, [&] {
        return admin.get(leases + "?watch=true&resourceVersion=" + list_rv + "&timeoutSeconds=1");
    });
    auto one_watch = std::async(std::launch::async, [&] {
        return admin.get(leases + "?watch=true&resourceVersion=" + list_rv + "&fieldSelector=metadata.name%3Dl1&timeoutSeconds=1");
    });
    auto all = events_of(all_watch.get());
    BOOST_TEST_REQUIRE(all.size() == 2u);
    BOOST_TEST((type_of(all[0]) == "ADDED" && name_of(all[0]) == "l2"));
    BOOST_TEST((type_of(all[1]) == "MODIFIED" && name_of(all[1]) == "l1"));

    auto one = events_of(one_watch.get());
    BOOST_TEST_REQUIRE(one.size() == 1u);
    BOOST_TEST((type_of(one[0]) == "MODIFIED" && name_of(one[0]) == "l1"));

    auto bad = admin.get(leases + "?watch=true&fieldSelector=spec.holderIdentity%3Dz");
    BOOST_TEST(bad.status == 400u);
    BOOST_TEST(bad.json().at("message").as_string() == "field label not supported: spec.holderIdentity");
}

BOOST_AUTO_TEST_CASE(watches_serve_secrets_configmaps_and_events_too) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto admin = emu.admin();
    json::object secret{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", json::object{{"name", "s1"}}},
                        {"type", "Opaque"}};
    json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", json::object{{"name", "c1"}}}};
    json::object event{{"apiVersion", "v1"}, {"kind", "Event"}, {"metadata", json::object{{"name", "e1"}}},
                       {"involvedObject", json::object{{"kind", "Lease"}, {"name", "l1"}, {"namespace", "ns1"}}},
                       {"reason", "LeaderElection"}, {"message", "x became leader"}, {"type", "Normal"}};
    std::vector<std::pair<std::string, json::object>> const kinds{
        {"/api/v1/namespaces/ns1/secrets", secret}, {"/api/v1/namespaces/ns1/configmaps", cm}, {"/api/v1/namespaces/ns1/events", event}};
    for (auto const& [path, body] : kinds) BOOST_TEST_REQUIRE(admin.post(path, body).status == 201u, path);
    // Each watch lasts its 1 s timeout: the three run side by side.
    std::vector<std::future<HttpResult>> watches;
    for (auto const& kind : kinds)
        watches.push_back(std::async(std::launch::async, [&admin, path = kind.first] {
            return admin.get(path + "?watch=1&timeoutSeconds=1");
        }));
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        auto const& [path, body] = kinds[i];
        auto events = events_of(watches[i].get());
        BOOST_TEST_REQUIRE(events.size() == 1u, path);
        BOOST_TEST(type_of(events[0]) == "ADDED");
        BOOST_TEST(events[0].at("object").at("kind").as_string() == body.at("kind").as_string());
    }
}

BOOST_AUTO_TEST_CASE(bookmarks_only_when_allowed_and_they_carry_only_the_resource_version) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--bookmark-interval", "300ms"});
    auto admin = emu.admin();
    // The watch without bookmarks runs beside the one with them (each lasts its timeout).
    auto without_watch = std::async(std::launch::async, [&] { return admin.get(leases + "?watch=1&timeoutSeconds=1"); });
    auto with = events_of(admin.get(leases + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=2"));
    BOOST_TEST_REQUIRE(!with.empty());
    for (auto const& e : with) {
        BOOST_TEST(type_of(e) == "BOOKMARK");
        auto const& object = e.at("object").as_object();
        BOOST_TEST(object.at("kind").as_string() == "Lease");
        BOOST_TEST(object.at("apiVersion").as_string() == "coordination.k8s.io/v1");
        BOOST_TEST(object.at("metadata").as_object().size() == 1u);
        BOOST_TEST(!rv_of(object).empty());
        BOOST_TEST(object.size() == 3u);
    }
    auto without = events_of(without_watch.get());
    BOOST_TEST(without.empty());
}

BOOST_AUTO_TEST_CASE(a_version_older_than_the_history_gets_an_expired_error_event) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--watch-history", "3"});
    auto admin = emu.admin();
    auto first = admin.post(leases, lease("l1", "a")).json();
    for (auto holder : {"b", "c", "d", "e"}) {
        auto current = admin.get(leases + "/l1").json();
        current["spec"].as_object()["holderIdentity"] = holder;
        BOOST_TEST_REQUIRE(admin.put(leases + "/l1", current).status == 200u);
    }
    auto old_rv = rv_of(first);
    auto r = admin.get(leases + "?watch=1&resourceVersion=" + old_rv + "&timeoutSeconds=5");
    BOOST_TEST_REQUIRE(r.status == 200u);
    auto events = events_of(r);
    BOOST_TEST_REQUIRE(events.size() == 1u, r.body);
    BOOST_TEST(type_of(events[0]) == "ERROR");
    auto const& status = events[0].at("object").as_object();
    BOOST_TEST(status.at("kind").as_string() == "Status");
    BOOST_TEST(status.at("code").as_int64() == 410);
    BOOST_TEST(status.at("reason").as_string() == "Expired");
    auto const oldest_kept_minus_one = std::stoull(old_rv) + 1;  // three of the five changes are kept
    BOOST_TEST(status.at("message").as_string() ==
               "too old resource version: " + old_rv + " (" + std::to_string(oldest_kept_minus_one) + ")");

    // From a version still in the history it resumes.
    auto recent = events_of(admin.get(leases + "?watch=1&resourceVersion=" + std::to_string(oldest_kept_minus_one) +
                                      "&timeoutSeconds=1"));
    BOOST_TEST(recent.size() == 3u);
}

BOOST_AUTO_TEST_CASE(drop_after_events_cuts_the_stream_without_its_last_chunk) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.post(leases, lease("l1", "a")).status == 201u);
    BOOST_TEST_REQUIRE(admin.post(leases, lease("l2", "a")).status == 201u);
    auto fault = admin.post("/emulator/v1/faults", json::object{{"resource", "leases"}, {"dropAfterEvents", 1}});
    BOOST_TEST_REQUIRE(fault.status == 201u, fault.body);
    // Not consumed by a request that is not a watch.
    BOOST_TEST(admin.get(leases).status == 200u);
    auto r = admin.get(leases + "?watch=1&timeoutSeconds=5");
    BOOST_TEST(r.status == 0u);  // the body never completed
    BOOST_TEST(!r.error.empty());
    auto bad = admin.post("/emulator/v1/faults", json::object{{"stallWatch", "yes"}});
    BOOST_TEST(bad.status == 400u);
    BOOST_TEST(bad.json().at("message").as_string() == "fault: stallWatch must be a boolean");
}

BOOST_AUTO_TEST_SUITE_END()
