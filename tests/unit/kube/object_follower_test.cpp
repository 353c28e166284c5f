// kube::follow_object hands its observer typed objects: parsed once by the caller's function, an
// unreadable one skipped (the observer keeps what it had) while the watch still moves on from its
// resourceVersion. Driven in virtual time against a scripted list and watch.

#include "common/virtual_clock.hpp"
#include "kube/config_map.hpp"
#include "kube/object_follower.hpp"
#include "util/time_format.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <deque>
#include <optional>
#include <stdexcept>
#include <vector>

using namespace gic;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Delivers its events, then ends like a server at its timeout (`ends`) or waits until cancelled.
class ScriptedStream final : public kube::WatchStream {
public:
    ScriptedStream(asio::any_io_executor executor, util::Clock& clock, std::deque<kube::WatchEvent> events, bool ends)
        : events_(std::move(events)), ends_(ends), never_(executor, clock) {}

    asio::awaitable<kube::ApiResult<std::optional<kube::WatchEvent>>> next() override {
        using Next = kube::ApiResult<std::optional<kube::WatchEvent>>;
        if (!events_.empty()) {
            auto event = std::move(events_.front());
            events_.pop_front();
            co_return Next(std::optional<kube::WatchEvent>(std::move(event)));
        }
        if (ends_) co_return Next(std::optional<kube::WatchEvent>());
        never_.expires_at(util::SteadyTime::max());
        for (;;) (void)co_await never_.wait();
    }

private:
    std::deque<kube::WatchEvent> events_;
    bool ends_;
    util::Timer never_;
};

// Answers the list with `list_answer` and each watch with the next script (the last watch, once
// the scripts are used up, stays open without events). Records the watch options.
class ScriptedApi final : public kube::Api {
public:
    explicit ScriptedApi(util::Clock& clock) : clock_(clock) {}

    json::object list_answer;
    std::deque<std::deque<kube::WatchEvent>> watch_scripts;
    std::vector<kube::WatchOptions> watches;

    asio::awaitable<kube::ApiResult<json::object>> get(kube::ResourceRef const&) override { throw unexpected(); }
    asio::awaitable<kube::ApiResult<json::object>> create(kube::ResourceRef const&, json::object const&) override {
        throw unexpected();
    }
    asio::awaitable<kube::ApiResult<json::object>> update(kube::ResourceRef const&, json::object const&) override {
        throw unexpected();
    }
    asio::awaitable<kube::ApiResult<json::object>> list(kube::ResourceRef const&, kube::ListOptions const&) override {
        co_return list_answer;
    }
    asio::awaitable<kube::ApiResult<std::unique_ptr<kube::WatchStream>>> watch(kube::ResourceRef const&,
                                                                               kube::WatchOptions const& options) override {
        watches.push_back(options);
        std::deque<kube::WatchEvent> events;
        bool const ends = !watch_scripts.empty();
        if (ends) {
            events = std::move(watch_scripts.front());
            watch_scripts.pop_front();
        }
        auto executor = co_await asio::this_coro::executor;
        co_return std::unique_ptr<kube::WatchStream>(std::make_unique<ScriptedStream>(executor, clock_, std::move(events), ends));
    }

private:
    static std::logic_error unexpected() { return std::logic_error("the follower only lists and watches"); }
    util::Clock& clock_;
};

json::object configmap(char const* rv, json::value root) {
    return json::object{{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", json::object{{"name", "istio-ca-root-cert"}, {"namespace", "ns"}, {"resourceVersion", rv}}},
                        {"data", json::object{{"root-cert.pem", std::move(root)}}}};
}

kube::WatchEvent event(kube::WatchEventType type, json::object object) { return kube::WatchEvent{type, std::move(object)}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(object_follower)

BOOST_AUTO_TEST_CASE(observers_get_typed_objects_and_never_an_unreadable_one) {
    testing::VirtualTime time{*util::parse_rfc3339("2026-12-07T12:00:00Z")};
    testing::VirtualClock clock{time};
    ScriptedApi api{clock};
    api.list_answer = json::object{{"kind", "ConfigMapList"},
                                   {"metadata", json::object{{"resourceVersion", "10"}}},
                                   {"items", json::array{configmap("9", "A")}}};
    api.watch_scripts.push_back({
        event(kube::WatchEventType::modified, configmap("11", "B")),
        event(kube::WatchEventType::bookmark, json::object{{"metadata", json::object{{"resourceVersion", "12"}}}}),
        event(kube::WatchEventType::deleted, configmap("13", "B")),
        event(kube::WatchEventType::added, configmap("14", 5)),  // data value not a string
    });

    std::vector<std::optional<std::string>> seen;  // root-cert.pem of each observation
    kube::FollowedObject followed{{"v1", "configmaps", "ns", "", ""}, "istio-ca-root-cert", "ConfigMap ns/istio-ca-root-cert",
                                  "test"};
    kube::ObjectObserver<kube::ConfigMap> observer = [&](std::optional<kube::ConfigMap> const& cm) {
        seen.push_back(cm ? std::optional<std::string>(cm->data.at("root-cert.pem")) : std::nullopt);
    };
    asio::io_context io;
    asio::cancellation_signal stop;
    bool ended = false;
    asio::co_spawn(io,
                   kube::follow_object<kube::ConfigMap>(api, clock, 7, followed, kube::parse_config_map, observer),
                   asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr) { ended = true; }));
    testing::run_until(time, {&io}, time.now() + std::chrono::minutes(1), [&] { return api.watches.size() >= 2; });

    BOOST_TEST_REQUIRE(api.watches.size() == 2u);
    BOOST_TEST_REQUIRE(seen.size() == 3u);
    BOOST_TEST((seen[0] == std::optional<std::string>("A")));  // from the list
    BOOST_TEST((seen[1] == std::optional<std::string>("B")));  // MODIFIED
    BOOST_TEST(!seen[2].has_value());                           // DELETED; the unreadable ADDED is not handed on
    // The watch starts from the list's version and goes on from the last event's, the unreadable
    // one included: it is skipped, not replayed.
    BOOST_TEST(api.watches[0].resource_version == "10");
    BOOST_TEST(api.watches[1].resource_version == "14");

    stop.emit(asio::cancellation_type::terminal);
    testing::run_until(time, {&io}, time.now() + std::chrono::minutes(1), [&] { return ended; });
    BOOST_TEST(ended);
}

BOOST_AUTO_TEST_SUITE_END()
