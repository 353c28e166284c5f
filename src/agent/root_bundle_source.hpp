#pragma once
// The current trusted root bundle (--root-cert-path). Reloaded when the file changes; an
// unreadable or empty new file keeps the previous bundle, so a half-written ConfigMap update can
// never leave the agent without roots.

#include "agent/input_files.hpp"
#include "util/error.hpp"

#include <string>

namespace gic::agent {

class RootBundleSource {
public:
    RootBundleSource(std::string path, RootBundle initial) : path_(std::move(path)), current_(std::move(initial)) {}

    RootBundle const& current() const { return current_; }
    std::string const& path() const { return path_; }

    // Re-reads the file. Returns true when the bundle changed; an error leaves current() untouched.
    Result<bool> reload();

private:
    std::string path_;
    RootBundle current_;
};

}  // namespace gic::agent
