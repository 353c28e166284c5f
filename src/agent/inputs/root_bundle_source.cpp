#include "agent/inputs/root_bundle_source.hpp"

#include "observe/log.hpp"

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

void apply_root_update(Result<bool> const& outcome, RootBundleSource const& roots, std::function<void()> const& changed) {
    if (!outcome) {
        observe::log_error("inputs", "cannot load the new root bundle; keeping the previous one",
                           {{"roots", roots.origin()}, {"error", outcome.error().message}});
        return;
    }
    if (!*outcome) return;
    observe::log_info("inputs", "root bundle reloaded",
                      {{"roots", roots.origin()}, {"count", std::to_string(roots.current().certs.size())}});
    if (changed) changed();
}

}  // namespace gic::agent
