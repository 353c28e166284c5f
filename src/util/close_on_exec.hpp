#pragma once
// FD_CLOEXEC for descriptors made by libraries that do not set it (asio opens sockets and
// accepts connections without SOCK_CLOEXEC): no descriptor of ours may outlive an exec.
// Helper programs are also spawned with every descriptor above 2 closed; this is the second
// line, for any exec that does not go through that path.

#include <fcntl.h>

namespace gic::util {

inline void set_close_on_exec(int fd) {
    int const flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

}  // namespace gic::util
