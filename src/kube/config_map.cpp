#include "kube/config_map.hpp"

namespace gic::kube {

Result<ConfigMap> parse_config_map(boost::json::object const& object) {
    ConfigMap configmap;
    auto meta = parse_object_meta(object);
    if (!meta) return meta.error();
    configmap.metadata = std::move(*meta);
    auto data = parse_string_map(object.if_contains("data"), "data");
    if (!data) return data.error();
    configmap.data = std::move(*data);
    return configmap;
}

}  // namespace gic::kube
