#include "util/file_watcher.hpp"

#include "util/inotify_events.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

namespace gic::util {
namespace {

constexpr std::uint32_t watch_mask =
    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

Result<FileWatcher> FileWatcher::create(boost::asio::any_io_executor executor, std::vector<std::string> const& paths) {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return make_error("cannot create an inotify instance", std::strerror(errno));
    boost::asio::posix::stream_descriptor stream(executor, fd);
    std::vector<Watch> watches;
    for (auto const& path : paths) {
        std::filesystem::path p(path);
        auto dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
        auto name = p.filename().string();
        auto existing = std::find_if(watches.begin(), watches.end(), [&](Watch const& w) { return w.directory == dir; });
        if (existing != watches.end()) {
            existing->files.push_back(name);
            continue;
        }
        int wd = ::inotify_add_watch(fd, dir.c_str(), watch_mask);
        if (wd < 0) return make_error("cannot watch directory " + dir, std::strerror(errno));
        watches.push_back(Watch{wd, dir, {name}});
    }
    return FileWatcher(std::move(stream), std::move(watches));
}

FileWatcher::FileWatcher(boost::asio::posix::stream_descriptor stream, std::vector<Watch> watches)
    : stream_(std::move(stream)), watches_(std::move(watches)) {}

FileWatcher::~FileWatcher() = default;

boost::asio::awaitable<Result<std::vector<std::string>>> FileWatcher::wait_for_change() {
    // Large enough for several records; a buffer smaller than one maximal record makes read() fail.
    alignas(inotify_event) std::array<char, 16 * (sizeof(inotify_event) + NAME_MAX + 1)> buffer;
    for (;;) {
        auto [ec, n] = co_await stream_.async_read_some(boost::asio::buffer(buffer),
                                                         boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return make_error("reading inotify events", ec.message());
        std::vector<std::string> changed;
        for (auto const& event : parse_inotify_events(std::span<char const>(buffer.data(), n))) {
            if (event.mask & IN_Q_OVERFLOW) {
                // Events were lost: report every file so that callers re-read them all.
                for (auto const& w : watches_) changed.insert(changed.end(), w.files.begin(), w.files.end());
                continue;
            }
            auto watch = std::find_if(watches_.begin(), watches_.end(),
                                      [&](Watch const& w) { return w.descriptor == event.watch; });
            if (watch == watches_.end()) continue;
            if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                co_return make_error("watched directory " + watch->directory + " was removed or moved");
            }
            bool data_swap = event.name == "..data";
            for (auto const& file : watch->files)
                if (data_swap || event.name == file) changed.push_back(file);
        }
        if (!changed.empty()) {
            std::sort(changed.begin(), changed.end());
            changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
            co_return changed;
        }
    }
}

}  // namespace gic::util
