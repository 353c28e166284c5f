#include "election/event_recorder.hpp"

#include "election/event_queue.hpp"

#include "observe/log.hpp"
#include "util/deadline.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>


namespace gic::election {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

constexpr char log_component[] = "events";

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
        ref.namespace_ = pending->event.namespace_;
        ref.name = pending->event.name;
        std::string error;
        try {
            // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
            auto race = util::with_deadline(*state->clock, state->clock->steady_now() + event_request_timeout,
                                            state->api->create(ref, pending->event.body));
            auto raced = co_await std::move(race);
            if (!raced) {
                error = "the API did not answer within " + std::to_string(event_request_timeout.count()) + " s";
            } else if (auto const& created = *raced; !created) {
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
    auto event = make_event(involved, type, reason, message, state_->component, state_->clock->wall_now());
    switch (state_->queue.admit(QueuedEvent{std::move(event), what})) {
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
