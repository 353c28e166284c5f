#pragma once
// Polling for tests and benchmarks that watch child processes and emulator state from outside:
// there is no event to wait on, so they look again every `poll` until the condition holds.

#include <chrono>
#include <functional>

namespace gic::test {

// True once `condition` holds; false if it still does not after `timeout` (checked one last time).
bool wait_until(std::function<bool()> const& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(50));

}  // namespace gic::test
