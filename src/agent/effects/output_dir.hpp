#pragma once
// --output-dir: tls.crt, tls.key and ca.crt kept in a directory that a hostile local user may be
// able to write, switched as one set (the layout and the decisions: output_dir_layout.hpp).
//
// Every name is created exclusively (O_EXCL, mkdirat, symlinkat) and opened without following
// links, relative to a descriptor of the directory opened with O_NOFOLLOW and checked with
// fstat, so that a symlink planted under any name cannot redirect the private key.
//
// The syscalls are blocking and run on the io_context's thread: they touch one local directory
// and a few kilobytes, so they are short, and there is no asynchronous file API to wait on.
//
// Thread Safety: one thread.

#include "agent/decisions/tls_material.hpp"
#include "util/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace gic::agent {

// A file descriptor closed on destruction.
class OwnedFd {
public:
    OwnedFd() = default;
    explicit OwnedFd(int fd) : fd_(fd) {}
    OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    OwnedFd& operator=(OwnedFd&& other) noexcept;
    OwnedFd(OwnedFd const&) = delete;
    OwnedFd& operator=(OwnedFd const&) = delete;
    ~OwnedFd();
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    // Gives the descriptor up (to fdopendir, which closes it).
    int release() { return std::exchange(fd_, -1); }
    // Closes now and reports close's error (a delayed write error on some filesystems).
    Result<void> close(std::string const& what);

private:
    int fd_ = -1;
};

class OutputDirectory {
public:
    // Opens `path`, creating it 0700 when missing (parents as mkdir -p), refuses it when it is not
    // a safe place for a private key (a symlink, not a directory, another user's, or writable by
    // others without the sticky bit), then takes an exclusive flock on its .gen-istio-cert.lock,
    // held while this object lives. Errors are one line naming the directory and the reason; a
    // directory locked by another agent is "... is in use by another gen-istio-cert ...".
    static Result<OutputDirectory> open(std::string path);

    // Publishes the set as a new timestamped directory switched in with one rename, links the
    // visible names (replacing plain files left by older versions without mixing sets), then
    // removes older sets and leftovers of an interrupted write. Every result is checked; the
    // error names the file or step.
    Result<void> write(TlsMaterial const& material, std::chrono::system_clock::time_point now);

    // The set ..data points to (or, in a directory an older version wrote, the plain files);
    // nullopt when none of the three is there. Symlinks planted elsewhere are never followed and
    // a file over 1 MiB reads as empty, so neither can make the agent read what it did not write.
    Result<std::optional<TlsMaterial>> read() const;

    std::string const& path() const { return path_; }

private:
    OutputDirectory(std::string path, OwnedFd dir, OwnedFd lock)
        : path_(std::move(path)), dir_(std::move(dir)), lock_(std::move(lock)) {}

    std::string path_;
    OwnedFd dir_;
    OwnedFd lock_;  // flock held until destruction
};

}  // namespace gic::agent
