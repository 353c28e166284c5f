#include "agent/root_bundle_source.hpp"

namespace gic::agent {

Result<bool> RootBundleSource::reload() {
    if (!file_backed_) return make_error(origin_, "is not a file; it is reloaded by its watch");
    auto fresh = read_root_bundle(origin_);
    if (!fresh) return fresh.error();
    return replace(std::move(*fresh));
}

Result<bool> RootBundleSource::replace(RootBundle fresh) {
    if (fresh.certs.empty()) return make_error(origin_, "holds no root certificate; keeping the previous bundle");
    if (fresh.pem == current_.pem) return false;
    current_ = std::move(fresh);
    return true;
}

}  // namespace gic::agent
