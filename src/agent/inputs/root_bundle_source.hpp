#pragma once
// The current trusted root bundle, whichever way it arrives: the mounted file (--root-cert-path),
// reloaded when it changes, or ConfigMap istio-ca-root-cert read through the API (standalone use),
// replaced when a watch sees it change. An unreadable or empty new bundle keeps the previous one,
// so a half-written update can never leave the agent without roots.

#include "agent/inputs/mounted_files.hpp"
#include "util/error.hpp"

#include <functional>
#include <string>

namespace gic::agent {

class RootBundleSource {
public:
    // `origin`: the file path, or a description such as "ConfigMap ns/istio-ca-root-cert".
    // `file_backed`: reload() re-reads `origin` as a file.
    RootBundleSource(std::string origin, RootBundle initial, bool file_backed = true)
        : origin_(std::move(origin)), current_(std::move(initial)), file_backed_(file_backed) {}

    RootBundle const& current() const { return current_; }
    // Where the roots come from, for logs.
    std::string const& origin() const { return origin_; }
    // The file to follow, or "" when the roots do not come from a file.
    std::string path() const { return file_backed_ ? origin_ : std::string(); }

    // Re-reads the file. Returns true when the bundle changed; an error leaves current() untouched.
    Result<bool> reload();

    // Takes a bundle read elsewhere (the ConfigMap). Returns true when it differs; an empty bundle
    // is refused (error) and the current one kept.
    Result<bool> replace(RootBundle fresh);

private:
    std::string origin_;
    RootBundle current_;
    bool file_backed_;
};

// What every follower of the roots does with the outcome of reload() or replace(): an error is
// logged and the previous bundle kept; a change is logged and `changed` called.
void apply_root_update(Result<bool> const& outcome, RootBundleSource const& roots, std::function<void()> const& changed);

}  // namespace gic::agent
