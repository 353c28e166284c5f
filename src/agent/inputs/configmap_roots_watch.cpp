#include "agent/inputs/configmap_roots_watch.hpp"

#include "agent/inputs/configmap_roots.hpp"
#include "kube/config_map.hpp"
#include "kube/object_follower.hpp"
#include "observe/log.hpp"
#include "util/clock.hpp"

#include <random>

namespace gic::agent {

boost::asio::awaitable<void> follow_root_configmap(kube::Client& client, std::string namespace_, RootBundleSource& roots,
                                                   std::function<void()> roots_changed) {
    constexpr char const* component = "inputs";
    auto const where = "ConfigMap " + namespace_ + "/" + root_configmap_name;
    kube::FollowedObject followed{{"v1", "configmaps", namespace_, "", ""}, root_configmap_name, where, component};
    auto on_change = [&](std::optional<kube::ConfigMap> const& configmap) {
        if (!configmap) {
            observe::log_warning(component, "the root ConfigMap is gone; keeping the current roots", {{"configmap", where}});
            return;
        }
        auto bundle = root_bundle_from_configmap(*configmap, where);
        auto const outcome = bundle ? roots.replace(std::move(*bundle)) : Result<bool>(bundle.error());
        apply_root_update(outcome, roots, roots_changed);
    };
    kube::Api& api = client;
    co_await kube::follow_object<kube::ConfigMap>(api, util::system_clock(), std::random_device{}(), std::move(followed),
                                                  kube::parse_config_map, on_change);
}

}  // namespace gic::agent
