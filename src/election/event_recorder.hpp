#pragma once
// core/v1 Events as client-go's recorder posts them (kubernetes-api.md section 4): the bodies of
// kube/event.hpp, each POSTed to the involved object's namespace.
//
// Events never block or fail the caller: record() queues (bounded; overflow is dropped and
// logged) and returns; a background coroutine posts the queue in order with one attempt each,
// bounded by event_request_timeout on the injected clock, and logs failures. The agent gives the
// recorder a kube::Client of its own (event_client_options) so an Event never waits behind (or
// delays) a Lease renewal. Nothing outlives a stop: finish(deadline) gives the queue until the
// deadline, then cancels the post in flight and drops the rest, logging how many; the destructor
// does the same at once. An unreachable API therefore never holds up the process's exit.
//
// Thread Safety: io_context thread only.

#include "kube/api.hpp"
#include "kube/client.hpp"
#include "kube/event.hpp"
#include "util/clock.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace gic::election {

// The Event body and the reference to its object are the kube layer's; the recorder's callers
// name them here.
using kube::event_normal;
using kube::event_warning;
using kube::make_event;
using kube::ObjectReference;
using kube::reference_to;

// One Event post may take this long; then it counts as failed.
inline constexpr std::chrono::seconds event_request_timeout{5};

// The options of the kube::Client dedicated to Events: one attempt each (Events are best effort),
// event_request_timeout, and `observer` (metrics; may be empty).
kube::ClientOptions event_client_options(kube::ClientOptions::RequestObserver observer);

class EventRecorder {
public:
    // `clock` must outlive the io_context's work. A post still in flight when the recorder goes is
    // cancelled, but finishes later on the loop: the shared `api` stays alive until then.
    EventRecorder(boost::asio::any_io_executor executor, std::shared_ptr<kube::Api> api, util::Clock& clock,
                  std::string component, std::size_t capacity = 64);
    // The same with an `api` the caller keeps alive until the io_context's work is done.
    EventRecorder(boost::asio::any_io_executor executor, kube::Api& api, util::Clock& clock, std::string component,
                  std::size_t capacity = 64);
    ~EventRecorder();
    EventRecorder(EventRecorder const&) = delete;
    EventRecorder& operator=(EventRecorder const&) = delete;

    // Queues the Event and returns at once (drops it once finish() was called).
    void record(ObjectReference const& involved, std::string const& type, std::string const& reason,
                std::string const& message);

    // Posts what is queued until `deadline`, returning as soon as the queue is empty; at the
    // deadline the Event in flight is cancelled and the rest are dropped (counted in failed()).
    boost::asio::awaitable<void> finish(std::chrono::steady_clock::time_point deadline);

    std::string const& component() const;
    // Events posted successfully / dropped (queue full, the API refused them, or stopped) so far.
    std::size_t posted() const;
    std::size_t failed() const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace gic::election
