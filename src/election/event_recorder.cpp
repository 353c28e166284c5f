#include "election/event_recorder.hpp"

#include "election/event_queue.hpp"

#include "observe/log.hpp"
#include "util/time_format.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <random>

namespace gic::election {

namespace json = boost::json;
using boost::asio::awaitable;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr char log_component[] = "events";

std::string string_at(json::object const& o, char const* key) {
    auto const* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string hex(std::uint64_t n) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(n));
    return buf;
}

// client-go names an Event `<object>.<hex unix nanos>` and falls back to a random name when that
// is not a valid object name (too long).
std::string event_name(std::string const& object_name, std::chrono::system_clock::time_point now) {
    auto const nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    auto name = object_name + "." + hex(std::uint64_t(nanos));
    if (!object_name.empty() && name.size() <= 253) return name;
    std::random_device rd;
    return hex((std::uint64_t(rd()) << 32) | rd()) + hex(std::uint64_t(nanos));
}

}  // namespace

struct EventRecorder::State {
    boost::asio::any_io_executor executor;
    kube::Api* api = nullptr;
    std::shared_ptr<kube::Api> owned_api;  // keeps a handed-over API alive for a post still in flight
    util::Clock* clock = nullptr;
    std::string component;
    EventQueue queue{64};
    bool draining = false;  // a drain() runs
    boost::asio::cancellation_signal cancel_drain;
    util::Timer* finish_wake = nullptr;  // finish()'s deadline timer while it waits

    // Cuts the drain off: the Event in flight is cancelled, the queue is dropped. Returns how many
    // Events that dropped.
    std::size_t stop_draining() {
        if (!draining || queue.cut()) return 0;
        auto const dropped = queue.cut_off();
        cancel_drain.emit(boost::asio::cancellation_type::terminal);
        return dropped;
    }
};

namespace {

awaitable<void> drain(std::shared_ptr<EventRecorder::State> state) {
    while (auto pending = state->queue.take()) {
        kube::ResourceRef ref;
        ref.group_version = "v1";
        ref.resource = "events";
        ref.namespace_ = pending->namespace_;
        ref.name = std::string(pending->body.at("metadata").at("name").as_string());
        std::string error;
        try {
            util::Timer timeout(state->executor, *state->clock);
            timeout.expires_after(event_request_timeout);
            // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
            auto race = state->api->create(ref, pending->body) || timeout.wait();
            auto raced = co_await std::move(race);
            if (raced.index() == 1) {
                error = "the API did not answer within " + std::to_string(event_request_timeout.count()) + " s";
            } else if (auto const& created = std::get<0>(raced); !created) {
                error = created.error().describe();
            }
        } catch (std::exception const& e) {
            error = e.what();
        }
        if (state->queue.cut()) break;  // cut off by stop_draining(), which counted it
        state->queue.settle(error.empty());
        if (error.empty()) {
            observe::log_debug(log_component, "event recorded", {{"event", pending->what}});
        } else {
            observe::log_warning(log_component, "event not recorded", {{"event", pending->what}, {"error", error}});
        }
    }
    state->draining = false;
    if (state->finish_wake != nullptr) state->finish_wake->cancel();
}

void log_dropped(std::size_t dropped, char const* why) {
    if (dropped == 0) return;
    observe::log_warning(log_component, why, {{"dropped", std::to_string(dropped)}});
}

}  // namespace

ObjectReference reference_to(json::object const& object, std::string kind, std::string api_version) {
    ObjectReference ref;
    ref.kind = std::move(kind);
    ref.api_version = std::move(api_version);
    if (auto const* metadata = object.if_contains("metadata"); metadata != nullptr && metadata->is_object()) {
        auto const& m = metadata->as_object();
        ref.namespace_ = string_at(m, "namespace");
        ref.name = string_at(m, "name");
        ref.uid = string_at(m, "uid");
        ref.resource_version = string_at(m, "resourceVersion");
    }
    return ref;
}

json::object make_event(ObjectReference const& involved, std::string const& type, std::string const& reason,
                        std::string const& message, std::string const& component,
                        std::chrono::system_clock::time_point now) {
    auto const namespace_ = involved.namespace_.empty() ? std::string("default") : involved.namespace_;
    json::object event;
    event["apiVersion"] = "v1";
    event["kind"] = "Event";
    json::object metadata;
    metadata["name"] = event_name(involved.name, now);
    metadata["namespace"] = namespace_;
    event["metadata"] = std::move(metadata);
    json::object ref;
    ref["kind"] = involved.kind;
    ref["apiVersion"] = involved.api_version;
    ref["namespace"] = involved.namespace_;
    ref["name"] = involved.name;
    if (!involved.uid.empty()) ref["uid"] = involved.uid;
    if (!involved.resource_version.empty()) ref["resourceVersion"] = involved.resource_version;
    event["involvedObject"] = std::move(ref);
    event["type"] = type;
    event["reason"] = reason;
    event["message"] = message;
    event["source"] = json::object{{"component", component}};
    auto const stamp = util::format_rfc3339(now);
    event["firstTimestamp"] = stamp;
    event["lastTimestamp"] = stamp;
    event["count"] = 1;
    event["reportingComponent"] = component;
    event["reportingInstance"] = "";
    return event;
}

kube::ClientOptions event_client_options(kube::ClientOptions::RequestObserver observer) {
    kube::ClientOptions options;
    options.request_timeout = event_request_timeout;
    options.max_retries = 0;  // one attempt each: events are best effort
    options.observer = std::move(observer);
    return options;
}

EventRecorder::EventRecorder(boost::asio::any_io_executor executor, std::shared_ptr<kube::Api> api, util::Clock& clock,
                             std::string component, std::size_t capacity)
    : EventRecorder(std::move(executor), *api, clock, std::move(component), capacity) {
    state_->owned_api = std::move(api);
}

EventRecorder::EventRecorder(boost::asio::any_io_executor executor, kube::Api& api, util::Clock& clock,
                             std::string component, std::size_t capacity)
    : state_(std::make_shared<State>()) {
    state_->executor = executor;
    state_->api = &api;
    state_->clock = &clock;
    state_->component = std::move(component);
    state_->queue = EventQueue(capacity);
}

EventRecorder::~EventRecorder() {
    log_dropped(state_->stop_draining(), "events dropped: the recorder stopped before the API took them");
}

awaitable<void> EventRecorder::finish(std::chrono::steady_clock::time_point deadline) {
    state_->queue.start_finishing();
    if (state_->draining) {
        util::Timer wake(state_->executor, *state_->clock);
        wake.expires_at(deadline);
        state_->finish_wake = &wake;
        // Ends at the deadline, or earlier when drain() empties the queue and cancels it.
        try {
            (void)co_await wake.wait();
        } catch (...) {
            state_->finish_wake = nullptr;  // cancelled: the destructor still stops the drain
            throw;
        }
        state_->finish_wake = nullptr;
    }
    log_dropped(state_->stop_draining(), "events dropped at shutdown: the API did not take them in time");
}

void EventRecorder::record(ObjectReference const& involved, std::string const& type, std::string const& reason,
                           std::string const& message) {
    auto const what = reason + " on " + involved.kind + " " + involved.namespace_ + "/" + involved.name;
    auto body = make_event(involved, type, reason, message, state_->component, state_->clock->wall_now());
    auto namespace_ = std::string(body.at("metadata").at("namespace").as_string());
    switch (state_->queue.admit(QueuedEvent{std::move(namespace_), std::move(body), what})) {
    case EventQueue::Admission::dropped_finishing:
        observe::log_warning(log_component, "event dropped: stopping", {{"event", what}});
        return;
    case EventQueue::Admission::dropped_full:
        observe::log_warning(log_component, "event dropped: queue full", {{"event", what}});
        return;
    case EventQueue::Admission::queued:
        break;
    }
    if (!state_->draining) {
        state_->draining = true;
        boost::asio::co_spawn(state_->executor, drain(state_),
                              boost::asio::bind_cancellation_slot(state_->cancel_drain.slot(), boost::asio::detached));
    }
}

std::string const& EventRecorder::component() const { return state_->component; }
std::size_t EventRecorder::posted() const { return state_->queue.posted(); }
std::size_t EventRecorder::failed() const { return state_->queue.failed(); }

}  // namespace gic::election
