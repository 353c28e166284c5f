#pragma once
// Decoding of the records read from an inotify descriptor. A plain function, kept apart from the
// coroutine that reads them: g++ 12 cannot hold an inotify_event (flexible array member) in a
// coroutine frame, and a plain function is testable with hand-made buffers.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gic::util {

struct InotifyEvent {
    int watch = -1;
    std::uint32_t mask = 0;
    std::string name;  // empty for events on the watched directory itself
};

// Decodes every complete record in `bytes` (a read never splits a record).
std::vector<InotifyEvent> parse_inotify_events(std::span<char const> bytes);

}  // namespace gic::util
