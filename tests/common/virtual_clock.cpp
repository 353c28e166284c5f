#include "common/virtual_clock.hpp"

namespace gic::testing {

VirtualTime::VirtualTime(util::WallTime wall_at_start) : wall_at_start_(wall_at_start) {}

std::optional<util::SteadyTime> VirtualTime::next_deadline() const {
    if (by_deadline_.empty()) return std::nullopt;
    return by_deadline_.begin()->first.first;
}

void VirtualTime::arm(util::Timer& timer, util::SteadyTime when) {
    disarm(timer);
    Key const key{when, sequence_++};
    by_deadline_.emplace(key, &timer);
    by_timer_.emplace(&timer, key);
}

void VirtualTime::disarm(util::Timer& timer) {
    auto const found = by_timer_.find(&timer);
    if (found == by_timer_.end()) return;
    by_deadline_.erase(found->second);
    by_timer_.erase(found);
}

void VirtualTime::advance_to(util::SteadyTime when) {
    if (when > now_) now_ = when;
    while (!by_deadline_.empty() && by_deadline_.begin()->first.first <= now_) {
        auto const first = by_deadline_.begin();
        auto* timer = first->second;
        by_timer_.erase(timer);
        by_deadline_.erase(first);
        if (on_fire) on_fire(*timer);
        timer->fire();
    }
}

bool VirtualTime::advance_to_next() {
    auto const next = next_deadline();
    if (!next) return false;
    advance_to(*next);
    return true;
}

util::WallTime VirtualClock::wall_now() const {
    return time_.wall_at_start() +
           std::chrono::duration_cast<util::WallTime::duration>(time_.now() - VirtualTime::start + wall_offset_);
}

std::size_t run_until(VirtualTime& time, std::vector<boost::asio::io_context*> const& contexts, util::SteadyTime until,
                      std::function<bool()> const& stop) {
    std::size_t handlers = 0;
    for (;;) {
        for (bool ran = true; ran;) {
            ran = false;
            for (auto* io : contexts) {
                if (io->stopped()) io->restart();
                auto const n = io->poll();
                handlers += n;
                ran = ran || n > 0;
            }
        }
        if (stop && stop()) return handlers;
        auto const next = time.next_deadline();
        if (!next || *next > until) {
            time.advance_to(until);
            // Timers due exactly at `until` fired: let their handlers run once more.
            for (auto* io : contexts) {
                if (io->stopped()) io->restart();
                handlers += io->poll();
            }
            return handlers;
        }
        time.advance_to(*next);
    }
}

}  // namespace gic::testing
