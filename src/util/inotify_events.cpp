#include "util/inotify_events.hpp"

#include <sys/inotify.h>

#include <cstring>

namespace gic::util {

std::vector<InotifyEvent> parse_inotify_events(std::span<char const> bytes) {
    std::vector<InotifyEvent> events;
    std::size_t offset = 0;
    while (offset + sizeof(inotify_event) <= bytes.size()) {
        inotify_event header;
        std::memcpy(&header, bytes.data() + offset, sizeof header);
        std::size_t record = sizeof(inotify_event) + header.len;
        if (offset + record > bytes.size()) break;
        InotifyEvent e;
        e.watch = header.wd;
        e.mask = header.mask;
        if (header.len > 0) {
            char const* name = bytes.data() + offset + sizeof(inotify_event);
            e.name.assign(name, strnlen(name, header.len));
        }
        events.push_back(std::move(e));
        offset += record;
    }
    return events;
}

}  // namespace gic::util
