#include "agent/inputs/configmap_roots_watch.hpp"

#include "agent/inputs/configmap_roots.hpp"
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
    auto on_change = [&](std::optional<boost::json::object> const& configmap) {
        if (!configmap) {
            observe::log_warning(component, "the root ConfigMap is gone; keeping the current roots", {{"configmap", where}});
            return;
        }
        auto typed = kube::parse_config_map(*configmap);
        auto bundle = typed ? root_bundle_from_configmap(*typed, where) : Result<RootBundle>(wrap_error(where, typed.error()));
        auto const outcome = bundle ? roots.replace(std::move(*bundle)) : Result<bool>(bundle.error());
        apply_root_update(outcome, roots, roots_changed);
    };
    kube::Api& api = client;
    co_await kube::follow_object(api, util::system_clock(), std::random_device{}(), std::move(followed), on_change);
}

}  // namespace gic::agent
