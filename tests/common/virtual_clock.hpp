#pragma once
// Virtual time for unit tests and the fault simulator. A VirtualTime is the world's steady time:
// it moves only when told, and fires the Timers due by then in deadline order (ties in the order
// they were armed), so a run is the same every time. Any number of VirtualClocks (one per
// simulated process) share it, each with its own wall-clock offset that can jump.
//
// run_until() is the usual driver: it runs the io_contexts until nothing is ready, then moves
// time to the next deadline, and so on.

#include "util/clock.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gic::testing {

class VirtualTime {
public:
    // Steady time starts far from zero (code may use a zero time_point as "never").
    static constexpr util::SteadyTime start{std::chrono::hours(1000)};

    explicit VirtualTime(util::WallTime wall_at_start);

    util::SteadyTime now() const { return now_; }
    util::WallTime wall_at_start() const { return wall_at_start_; }
    // The earliest armed deadline.
    std::optional<util::SteadyTime> next_deadline() const;
    // Moves time forward to `when` (never back) and fires every Timer due by then.
    void advance_to(util::SteadyTime when);
    // Fires the timers of the earliest deadline only (moving time there). False when none is armed.
    bool advance_to_next();
    std::size_t armed() const { return by_deadline_.size(); }

    void arm(util::Timer& timer, util::SteadyTime when);
    void disarm(util::Timer& timer);

    // Told about each timer just before it fires (the fault simulator polls only the io_contexts
    // whose timers fired).
    std::function<void(util::Timer&)> on_fire;

private:
    using Key = std::pair<util::SteadyTime, std::uint64_t>;
    util::SteadyTime now_ = start;
    util::WallTime wall_at_start_;
    std::uint64_t sequence_ = 0;
    std::map<Key, util::Timer*> by_deadline_;
    std::unordered_map<util::Timer*, Key> by_timer_;
};

class VirtualClock final : public util::Clock {
public:
    explicit VirtualClock(VirtualTime& time, std::chrono::nanoseconds wall_offset = {})
        : time_(time), wall_offset_(wall_offset) {}

    util::SteadyTime steady_now() const override { return time_.now(); }
    util::WallTime wall_now() const override;
    // The wall clock jumps (NTP step, a VM restored from a snapshot); steady time does not.
    void jump_wall(std::chrono::nanoseconds by) { wall_offset_ += by; }
    std::chrono::nanoseconds wall_offset() const { return wall_offset_; }
    VirtualTime& time() const { return time_; }

protected:
    void arm(util::Timer& timer, util::SteadyTime when) override { time_.arm(timer, when); }
    void disarm(util::Timer& timer) override { time_.disarm(timer); }

private:
    VirtualTime& time_;
    std::chrono::nanoseconds wall_offset_;
};

// Runs every handler that is ready on `contexts`, then moves `time` to the next deadline, until
// `until` is reached or `stop()` says so (checked whenever the contexts are idle). Returns the
// number of handlers run. A context is restarted after it ran out of work.
std::size_t run_until(VirtualTime& time, std::vector<boost::asio::io_context*> const& contexts, util::SteadyTime until,
                      std::function<bool()> const& stop = {});

}  // namespace gic::testing
