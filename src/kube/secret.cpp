#include "kube/secret.hpp"

#include <boost/json/value.hpp>

namespace gic::kube {

namespace json = boost::json;

Result<Secret> parse_secret(json::object const& object) {
    Secret secret;
    auto meta = parse_object_meta(object);
    if (!meta) return meta.error();
    secret.metadata = std::move(*meta);
    if (auto const* type = object.if_contains("type"); type != nullptr && !type->is_null()) {
        if (!type->is_string()) return make_error("type", "not a string");
        secret.type = std::string(type->as_string());
    }
    auto data = parse_string_map(object.if_contains("data"), "data");
    if (!data) return data.error();
    secret.data = std::move(*data);
    secret.raw = object;
    return secret;
}

json::object to_json(Secret const& secret) {
    json::object object = secret.raw;
    if (!object.contains("apiVersion")) object["apiVersion"] = "v1";
    if (!object.contains("kind")) object["kind"] = "Secret";
    write_object_meta(secret.metadata, object);
    if (!secret.type.empty()) object["type"] = secret.type;
    if (!secret.data.empty() || object.contains("data")) object["data"] = string_map_json(secret.data);
    return object;
}

}  // namespace gic::kube
