#include "object_rules.hpp"

#include "json_util.hpp"
#include "util/base64.hpp"

#include <regex>

namespace gic::emu::kube {

namespace json = boost::json;

namespace {

constexpr long long max_secret_size = 1024 * 1024;

std::string const config_key_message =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

bool is_config_key(std::string const& key) {
    static std::regex const re("[-._a-zA-Z0-9]+");
    return key.size() <= 253 && std::regex_match(key, re) && key != "." && key != "..";
}

bool is_dns_subdomain(std::string const& name) {
    static std::regex const re(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)");
    return name.size() <= 253 && std::regex_match(name, re);
}

bool is_dns_label(std::string const& name) {
    static std::regex const re(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?)");
    return name.size() <= 63 && std::regex_match(name, re);
}

std::string const subdomain_message =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
std::string const label_message =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

void validate_name(ResourceType const& type, json::object const& object, std::vector<FieldError>& errors) {
    auto name = metadata_string(object, "name");
    if (name.empty()) {
        errors.push_back(FieldError::required("metadata.name", "name or generateName is required"));
        return;
    }
    if (type.group == "rbac.authorization.k8s.io") {
        // Path-segment names: anything but "/", "%", "." and "..".
        if (name == "." || name == ".." || name.find_first_of("/%") != std::string::npos)
            errors.push_back(FieldError::invalid("metadata.name", go_quote(name),
                                                 "may not contain '/' or '%' and may not be '.' or '..'"));
    } else if (type.plural == "namespaces") {
        if (!is_dns_label(name)) errors.push_back(FieldError::invalid("metadata.name", go_quote(name), label_message));
    } else if (!is_dns_subdomain(name)) {
        errors.push_back(FieldError::invalid("metadata.name", go_quote(name), subdomain_message));
    }
}

// Checks keys and base64 of a map of data; returns the decoded size.
long long check_data_map(json::object const& object, std::string const& field, bool base64_values,
                         std::vector<FieldError>& errors) {
    long long total = 0;
    auto const* data = object_field(object, field);
    if (!data) return 0;
    for (auto const& [k, v] : *data) {
        std::string key(k);
        if (!is_config_key(key))
            errors.push_back(FieldError::invalid(field + "[" + key + "]", go_quote(key), config_key_message));
        if (!v.is_string()) continue;
        if (base64_values) {
            auto decoded = util::base64_decode(v.as_string());
            total += decoded ? static_cast<long long>(decoded->size()) : 0;
        } else {
            total += static_cast<long long>(v.as_string().size());
        }
    }
    return total;
}

// Data values must be base64 strings; upstream fails in the decoder, before validation.
std::optional<ApiError> check_base64_values(json::object const& object, std::string const& field,
                                            std::string const& kind) {
    auto const* data = object_field(object, field);
    if (auto it = object.find(field); it != object.end() && !it->value().is_object() && !it->value().is_null())
        return bad_request(kind + " in version \"v1\" cannot be handled as a " + kind + ": " + field +
                           ": expected map, got " + std::string(json::to_string(it->value().kind())));
    if (!data) return std::nullopt;
    for (auto const& [k, v] : *data) {
        if (!v.is_string() || !util::base64_decode(v.as_string()))
            return bad_request(kind + " in version \"v1\" cannot be handled as a " + kind +
                               ": illegal base64 data in " + field + "[" + std::string(k) + "]");
    }
    return std::nullopt;
}

bool immutable_flag(json::object const& object) {
    auto it = object.find("immutable");
    return it != object.end() && it->value().is_bool() && it->value().as_bool();
}

std::string immutable_detail = "field is immutable when `immutable` is set";

void check_immutable_update(json::object const& old_object, json::object const& new_object,
                            std::vector<std::string> const& fields, std::vector<FieldError>& errors) {
    if (!immutable_flag(old_object)) return;
    if (!immutable_flag(new_object)) errors.push_back(FieldError::forbidden("immutable", immutable_detail));
    for (auto const& f : fields) {
        auto const* a = object_field(old_object, f);
        auto const* b = object_field(new_object, f);
        json::object empty;
        if ((a ? *a : empty) != (b ? *b : empty)) errors.push_back(FieldError::forbidden(f, immutable_detail));
    }
}

std::vector<FieldError> validate_secret(json::object const& object) {
    std::vector<FieldError> errors;
    long long size = check_data_map(object, "data", true, errors);
    if (size > max_secret_size) errors.push_back(FieldError::too_long("data", max_secret_size));
    auto type = string_field(object, "type");
    if (type == "kubernetes.io/tls") {
        auto const* data = object_field(object, "data");
        for (char const* key : {"tls.crt", "tls.key"})
            if (!data || !data->contains(key)) errors.push_back(FieldError::required(std::string("data[") + key + "]"));
    } else if (type == "kubernetes.io/dockerconfigjson") {
        auto const* data = object_field(object, "data");
        if (!data || !data->contains(".dockerconfigjson"))
            errors.push_back(FieldError::required("data[.dockerconfigjson]"));
    }
    return errors;
}

std::vector<FieldError> validate_config_map(json::object const& object) {
    std::vector<FieldError> errors;
    long long size = check_data_map(object, "data", false, errors);
    size += check_data_map(object, "binaryData", true, errors);
    if (auto const* data = object_field(object, "data"))
        if (auto const* bin = object_field(object, "binaryData"))
            for (auto const& [k, _] : *data)
                if (bin->contains(k))
                    errors.push_back(FieldError::invalid("data[" + std::string(k) + "]", go_quote(std::string(k)),
                                                         "duplicate of key present in binaryData"));
    if (size > max_secret_size) errors.push_back(FieldError::too_long("", max_secret_size));
    return errors;
}

std::optional<std::int64_t> int_field(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    return std::nullopt;
}

std::vector<FieldError> validate_lease(json::object const& object) {
    std::vector<FieldError> errors;
    auto const* spec = object_field(object, "spec");
    if (!spec) return errors;
    if (auto d = int_field(*spec, "leaseDurationSeconds"); d && *d <= 0)
        errors.push_back(FieldError::invalid("spec.leaseDurationSeconds", std::to_string(*d), "must be greater than 0"));
    if (auto t = int_field(*spec, "leaseTransitions"); t && *t < 0)
        errors.push_back(
            FieldError::invalid("spec.leaseTransitions", std::to_string(*t), "must be greater than or equal to 0"));
    return errors;
}

std::vector<FieldError> validate_rbac(ResourceType const& type, json::object const& object) {
    std::vector<FieldError> errors;
    if (type.kind == "Role" || type.kind == "ClusterRole") {
        if (auto it = object.find("rules"); it != object.end() && it->value().is_array()) {
            auto const& rules = it->value().as_array();
            for (std::size_t i = 0; i < rules.size(); ++i) {
                auto const* rule = rules[i].if_object();
                auto const* verbs = rule ? rule->if_contains("verbs") : nullptr;
                if (!verbs || !verbs->is_array() || verbs->as_array().empty())
                    errors.push_back(FieldError::required("rules[" + std::to_string(i) + "].verbs",
                                                          "verbs must contain at least one value"));
            }
        }
    } else {
        auto const* ref = object_field(object, "roleRef");
        auto kind = ref ? string_field(*ref, "kind") : std::string();
        bool role_ok = type.kind == "RoleBinding" ? (kind == "Role" || kind == "ClusterRole") : kind == "ClusterRole";
        if (!role_ok)
            errors.push_back({FieldError::Type::not_supported, "roleRef.kind", "",
                              go_quote(kind) + ": supported values: " +
                                  (type.kind == "RoleBinding" ? "\"Role\", \"ClusterRole\"" : "\"ClusterRole\"")});
        if (!ref || string_field(*ref, "name").empty())
            errors.push_back(FieldError::required("roleRef.name"));
    }
    return errors;
}

}  // namespace

UpdatePolicy update_policy(ResourceType const& type) {
    if (type.plural == "leases") return {false, true};
    if (type.plural == "events" || type.group == "rbac.authorization.k8s.io") return {true, true};
    return {true, false};
}

std::optional<ApiError> prepare_object(ResourceType const& type, json::object& object) {
    if (type.plural == "secrets") {
        if (auto err = check_base64_values(object, "data", "Secret")) return err;
        if (auto it = object.find("stringData"); it != object.end()) {
            if (it->value().is_object()) {
                auto& data = ensure_object(object, "data");
                for (auto const& [k, v] : it->value().as_object()) {
                    if (!v.is_string())
                        return bad_request("Secret in version \"v1\" cannot be handled as a Secret: stringData[" +
                                           std::string(k) + "]: expected string");
                    data[k] = util::base64_encode(v.as_string());
                }
            }
            object.erase("stringData");
        }
        if (string_field(object, "type").empty()) object["type"] = "Opaque";
    } else if (type.plural == "configmaps") {
        if (auto err = check_base64_values(object, "binaryData", "ConfigMap")) return err;
        if (auto const* data = object_field(object, "data"))
            for (auto const& [k, v] : *data)
                if (!v.is_string())
                    return bad_request("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: data[" +
                                       std::string(k) + "]: expected string");
    } else if (type.plural == "namespaces") {
        auto& meta = ensure_object(object, "metadata");
        ensure_object(meta, "labels")["kubernetes.io/metadata.name"] = string_field(meta, "name");
        auto& spec = ensure_object(object, "spec");
        if (!spec.contains("finalizers")) spec["finalizers"] = json::array{"kubernetes"};
        ensure_object(object, "status")["phase"] = "Active";
    }
    return std::nullopt;
}

std::vector<FieldError> validate_create(ResourceType const& type, json::object const& object) {
    std::vector<FieldError> errors;
    validate_name(type, object, errors);
    std::vector<FieldError> more;
    if (type.plural == "secrets")
        more = validate_secret(object);
    else if (type.plural == "configmaps")
        more = validate_config_map(object);
    else if (type.plural == "leases")
        more = validate_lease(object);
    else if (type.group == "rbac.authorization.k8s.io")
        more = validate_rbac(type, object);
    errors.insert(errors.end(), more.begin(), more.end());
    return errors;
}

std::vector<FieldError> validate_update(ResourceType const& type, json::object const& old_object,
                                        json::object const& new_object) {
    auto errors = validate_create(type, new_object);
    if (type.plural == "secrets") {
        auto old_type = string_field(old_object, "type");
        auto new_type = string_field(new_object, "type");
        if (old_type != new_type)
            errors.push_back(FieldError::invalid("type", go_quote(new_type), "field is immutable"));
        check_immutable_update(old_object, new_object, {"data"}, errors);
    } else if (type.plural == "configmaps") {
        check_immutable_update(old_object, new_object, {"data", "binaryData"}, errors);
    } else if (type.kind == "RoleBinding" || type.kind == "ClusterRoleBinding") {
        auto const* a = object_field(old_object, "roleRef");
        auto const* b = object_field(new_object, "roleRef");
        if (a && b && *a != *b)
            errors.push_back(FieldError::invalid("roleRef", json::serialize(*b), "cannot change roleRef"));
    }
    return errors;
}

}  // namespace gic::emu::kube
