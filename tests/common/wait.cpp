#include "common/wait.hpp"

#include <thread>

namespace gic::test {

bool wait_until(std::function<bool()> const& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(poll);
    }
    return condition();
}

}  // namespace gic::test
