#pragma once
// The Event recorder's bookkeeping, free of I/O (tested without an API): a bounded queue posted in
// order, nothing admitted once finishing, one post in flight at a time, and the counts of what
// was posted and what was lost (refused, timed out, queue full, stopping, cut off at a stop).
//
// Thread Safety: none needed (one io_context thread).

#include "kube/event.hpp"

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

namespace gic::election {

struct QueuedEvent {
    kube::Event event;
    std::string what;  // "<reason> on <kind> <ns>/<name>" for logs
};

class EventQueue {
public:
    enum class Admission { queued, dropped_full, dropped_finishing };

    explicit EventQueue(std::size_t capacity) : capacity_(capacity) {}

    // Queues `event`, or drops it (counted as failed) when full or finishing.
    Admission admit(QueuedEvent event);
    // The next Event to post, now in flight; nullopt when none is queued or the queue was cut off.
    std::optional<QueuedEvent> take();
    // The post in flight ended (posted or not). Nothing to count once cut_off() counted it.
    void settle(bool posted);
    // From now on admit() drops.
    void start_finishing() { finishing_ = true; }
    // Drops what is queued and the post in flight, counting them as failed; take() then returns
    // nullopt for good. Returns how many were dropped.
    std::size_t cut_off();

    bool finishing() const { return finishing_; }
    bool cut() const { return cut_; }
    bool in_flight() const { return in_flight_; }
    std::size_t queued() const { return queue_.size(); }
    std::size_t posted() const { return posted_; }
    std::size_t failed() const { return failed_; }

private:
    std::size_t capacity_;
    std::deque<QueuedEvent> queue_;
    bool in_flight_ = false;
    bool finishing_ = false;
    bool cut_ = false;
    std::size_t posted_ = 0;
    std::size_t failed_ = 0;
};

}  // namespace gic::election
