#include "kube/token_file_source.hpp"

#include "kube/pem_check.hpp"

namespace gic::kube {

TokenFileSource::TokenFileSource(std::string path, std::string initial_token, Clock clock)
    : path_(std::move(path)), clock_(std::move(clock)), token_(std::move(initial_token)) {}

Result<std::string> TokenFileSource::token() {
    if (read_at_ && clock_() - *read_at_ < max_age) return token_;
    return read();
}

Result<std::string> TokenFileSource::refresh() { return read(); }

std::optional<Error> TokenFileSource::take_rotation_error() {
    auto out = std::move(rotation_error_);
    rotation_error_.reset();
    return out;
}

Result<std::string> TokenFileSource::read() {
    auto content = read_whole_file(path_);
    Result<std::string> fresh = content ? Result<std::string>(trim_whitespace(*content))
                                        : Result<std::string>(wrap_error("reading token file " + path_, content.error()));
    if (fresh && fresh->empty()) fresh = make_error("token file " + path_ + " is empty");
    if (fresh) {
        token_ = *fresh;
        read_at_ = clock_();
        rotation_error_.reset();
        return token_;
    }
    // Keep the last good token; the next request tries the file again (no read_at_ update).
    if (token_.empty()) return fresh.error();
    rotation_error_ = fresh.error();
    return token_;
}

}  // namespace gic::kube
