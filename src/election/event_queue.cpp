#include "election/event_queue.hpp"

namespace gic::election {

EventQueue::Admission EventQueue::admit(QueuedEvent event) {
    if (finishing_ || cut_) {
        ++failed_;
        return Admission::dropped_finishing;
    }
    if (queue_.size() >= capacity_) {
        ++failed_;
        return Admission::dropped_full;
    }
    queue_.push_back(std::move(event));
    return Admission::queued;
}

std::optional<QueuedEvent> EventQueue::take() {
    if (cut_ || queue_.empty()) return std::nullopt;
    auto next = std::move(queue_.front());
    queue_.pop_front();
    in_flight_ = true;
    return next;
}

void EventQueue::settle(bool posted) {
    if (!in_flight_) return;
    in_flight_ = false;
    ++(posted ? posted_ : failed_);
}

std::size_t EventQueue::cut_off() {
    if (cut_) return 0;
    auto const dropped = queue_.size() + (in_flight_ ? 1 : 0);
    queue_.clear();
    in_flight_ = false;
    failed_ += dropped;
    cut_ = true;
    return dropped;
}

}  // namespace gic::election
