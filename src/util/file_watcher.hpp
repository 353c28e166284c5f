#pragma once
// Wakes a coroutine when a file may have changed, with inotify on the file's directory.
//
// Why the directory: Kubernetes updates projected and ConfigMap volumes by writing a new
// timestamped directory and renaming the `..data` symlink over the old one (AtomicWriter); a
// watch on the file itself follows the symlink to the old inode and goes silent. Watching the
// directory sees the `..data` rename as well as plain replacements (rename over the file) and
// in-place writes of ordinary files.
//
// The watcher only says "look again": callers re-read the file and compare contents, since one
// update produces several events.
//
// Per-Operation Cancellation: wait_for_change() supports terminal and partial cancellation.
// Thread Safety: io_context thread only.

#include "util/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <string>
#include <vector>

namespace gic::util {

class FileWatcher {
public:
    // Watches the directories of `paths`. Errors name the directory that cannot be watched.
    static Result<FileWatcher> create(boost::asio::any_io_executor executor, std::vector<std::string> const& paths);

    FileWatcher(FileWatcher&&) noexcept = default;
    FileWatcher& operator=(FileWatcher&&) noexcept = default;
    ~FileWatcher();

    // Completes when an event may concern one of the files (or the queue overflowed). Returns the
    // base names that were named in the events ("..data" counts for every file of its directory).
    boost::asio::awaitable<Result<std::vector<std::string>>> wait_for_change();

private:
    struct Watch {
        int descriptor;
        std::string directory;
        std::vector<std::string> files;  // base names watched in this directory
    };
    FileWatcher(boost::asio::posix::stream_descriptor stream, std::vector<Watch> watches);
    boost::asio::posix::stream_descriptor stream_;
    std::vector<Watch> watches_;
};

}  // namespace gic::util
