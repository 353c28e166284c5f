#include "kube/object_meta.hpp"

#include <boost/json/value.hpp>

namespace gic::kube {

namespace json = boost::json;

namespace {

Result<std::string> string_field(json::object const& metadata, char const* key) {
    auto const* v = metadata.if_contains(key);
    if (v == nullptr || v->is_null()) return std::string();
    if (!v->is_string()) return make_error(std::string("metadata.") + key, "not a string");
    return std::string(v->as_string());
}

void set_if_not_empty(json::object& metadata, char const* key, std::string const& value) {
    if (!value.empty()) metadata[key] = value;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_string_map(json::value const* value, std::string const& field) {
    std::map<std::string, std::string> map;
    if (value == nullptr || value->is_null()) return map;
    if (!value->is_object()) return make_error(field, "not an object");
    for (auto const& [key, v] : value->as_object()) {
        if (!v.is_string()) return make_error(field + "[" + std::string(key) + "]", "not a string");
        map.emplace(std::string(key), std::string(v.as_string()));
    }
    return map;
}

json::object string_map_json(std::map<std::string, std::string> const& map) {
    json::object o;
    for (auto const& [k, v] : map) o[k] = v;
    return o;
}

Result<ObjectMeta> parse_object_meta(json::object const& object) {
    ObjectMeta meta;
    auto const* value = object.if_contains("metadata");
    if (value == nullptr || value->is_null()) return meta;
    if (!value->is_object()) return make_error("metadata", "not an object");
    auto const& metadata = value->as_object();
    struct Field {
        char const* key;
        std::string* into;
    };
    for (auto [key, into] : {Field{"name", &meta.name}, Field{"namespace", &meta.namespace_}, Field{"uid", &meta.uid},
                             Field{"resourceVersion", &meta.resource_version}}) {
        auto read = string_field(metadata, key);
        if (!read) return read.error();
        *into = std::move(*read);
    }
    auto labels = parse_string_map(metadata.if_contains("labels"), "metadata.labels");
    if (!labels) return labels.error();
    meta.labels = std::move(*labels);
    auto annotations = parse_string_map(metadata.if_contains("annotations"), "metadata.annotations");
    if (!annotations) return annotations.error();
    meta.annotations = std::move(*annotations);
    return meta;
}

std::optional<std::string_view> resource_version_of(json::object const& object) {
    auto const* value = object.if_contains("metadata");
    if (value == nullptr || value->is_null()) return std::string_view();
    if (!value->is_object()) return std::nullopt;
    auto const* version = value->as_object().if_contains("resourceVersion");
    if (version == nullptr || version->is_null()) return std::string_view();
    if (!version->is_string()) return std::nullopt;
    return std::string_view(version->as_string());
}

void write_object_meta(ObjectMeta const& meta, json::object& object) {
    auto& value = object["metadata"];
    if (!value.is_object()) value = json::object();
    auto& metadata = value.as_object();
    set_if_not_empty(metadata, "name", meta.name);
    set_if_not_empty(metadata, "namespace", meta.namespace_);
    set_if_not_empty(metadata, "uid", meta.uid);
    set_if_not_empty(metadata, "resourceVersion", meta.resource_version);
    if (!meta.labels.empty() || metadata.contains("labels")) metadata["labels"] = string_map_json(meta.labels);
    if (!meta.annotations.empty() || metadata.contains("annotations"))
        metadata["annotations"] = string_map_json(meta.annotations);
}

}  // namespace gic::kube
