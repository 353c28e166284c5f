#include "agent/root_bundle_source.hpp"

namespace gic::agent {

Result<bool> RootBundleSource::reload() {
    auto fresh = read_root_bundle(path_);
    if (!fresh) return fresh.error();
    if (fresh->pem == current_.pem) return false;
    current_ = std::move(*fresh);
    return true;
}

}  // namespace gic::agent
