#pragma once
// A bearer token read from a file the kubelet rotates, cached like client-go's
// CachedFileTokenSource: re-read lazily when the cached copy is at least 50 s old (a 1 min
// period minus 10 s leeway), whitespace-trimmed, and on a read error the last good token is
// kept. Sans-io apart from the small synchronous file read; the clock is injected for tests.

#include "util/error.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace gic::kube {

class TokenFileSource {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    static constexpr std::chrono::seconds max_age{50};

    // `initial_token` (the value read at load time) serves until the first successful read.
    explicit TokenFileSource(std::string path, std::string initial_token = {},
                             Clock clock = [] { return std::chrono::steady_clock::now(); });

    // The current token, re-reading the file when due. An error only when no good token was ever
    // read; a failed re-read with a good token at hand is reported by take_rotation_error().
    Result<std::string> token();
    // Re-reads now (after a 401), whatever the cached copy's age.
    Result<std::string> refresh();

    // The error of the last failed re-read that was covered by the last good token, once.
    std::optional<Error> take_rotation_error();

    std::string const& path() const { return path_; }

private:
    Result<std::string> read();

    std::string path_;
    Clock clock_;
    std::string token_;
    std::optional<std::chrono::steady_clock::time_point> read_at_;  // empty: never read from the file
    std::optional<Error> rotation_error_;
};

}  // namespace gic::kube
