#include "agent/root_configmap_follower.hpp"

#include "agent/configmap_root_source.hpp"
#include "kube/object_follower.hpp"
#include "observe/log.hpp"

namespace gic::agent {

boost::asio::awaitable<void> follow_root_configmap(kube::Client& client, std::string namespace_, RootBundleSource& roots,
                                                   std::function<void()> roots_changed) {
    constexpr char const* component = "inputs";
    auto const where = "ConfigMap " + namespace_ + "/" + root_configmap_name;
    kube::FollowedObject followed{{"v1", "configmaps", namespace_, "", ""}, root_configmap_name, where, component};
    auto on_change = [&](std::optional<boost::json::object> const& configmap) {
        if (!configmap) {
            observe::log_warning(component, "the root ConfigMap is gone; keeping the current roots", {{"configmap", where}});
            return;
        }
        auto bundle = root_bundle_from_configmap(*configmap, where);
        if (!bundle) {
            observe::log_error(component, "cannot load the new root bundle; keeping the previous one",
                               {{"error", bundle.error().message}});
            return;
        }
        auto changed = roots.replace(std::move(*bundle));
        if (!changed) {
            observe::log_error(component, "cannot load the new root bundle; keeping the previous one",
                               {{"error", changed.error().message}});
            return;
        }
        if (!*changed) return;
        observe::log_info(component, "root bundle reloaded",
                          {{"configmap", where}, {"roots", std::to_string(roots.current().certs.size())}});
        if (roots_changed) roots_changed();
    };
    co_await kube::follow_object(client, std::move(followed), on_change);
}

}  // namespace gic::agent
