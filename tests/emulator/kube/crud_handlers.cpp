#include "crud_handlers.hpp"

#include "json_util.hpp"
#include "object_rules.hpp"
#include "request_body.hpp"
#include "selectors.hpp"
#include "watch_handler.hpp"

namespace gic::emu::kube {

namespace json = boost::json;

namespace {

ResourceType const& namespaces_type() { return *find_resource_type("", "v1", "namespaces"); }
ResourceType const& service_accounts_type() { return *find_resource_type("", "v1", "serviceaccounts"); }

bool dry_run(RequestInfo const& info) { return info.query_param("dryRun") == "All"; }

// The namespace a namespaced object lives in must exist (NamespaceLifecycle admission).
std::optional<ApiError> require_namespace(ServerContext& ctx, ResourceType const& type, std::string const& ns) {
    if (!type.namespaced) return std::nullopt;
    if (!ctx.store.get("namespaces", "", ns)) return not_found(namespaces_type(), ns);
    return std::nullopt;
}

// Aligns metadata.namespace of a body with the URL: filled in when absent, 400 when different.
std::optional<ApiError> align_namespace(ResourceType const& type, RequestInfo const& info, json::object& object) {
    auto& meta = ensure_object(object, "metadata");
    if (!type.namespaced) {
        meta.erase("namespace");
        return std::nullopt;
    }
    auto body_ns = string_field(meta, "namespace");
    if (body_ns.empty()) {
        meta["namespace"] = info.namespace_;
    } else if (body_ns != info.namespace_) {
        return bad_request("the namespace of the provided object does not match the namespace sent on the request");
    }
    return std::nullopt;
}

Reply stored_object_reply(http::status status, json::object object) { return json_reply(status, object); }

Reply after_create_hooks(ServerContext& ctx, ResourceType const& type, json::object const& created, bool dry) {
    if (type.plural == "namespaces" && !dry)
        ensure_service_account(ctx.store, metadata_string(created, "name"), "default");
    return stored_object_reply(http::status::created, created);
}

Reply do_create(ServerContext& ctx, ResourceType const& type, RequestInfo const& info, json::object object) {
    if (auto err = align_namespace(type, info, object)) return error_reply(*err);
    auto& meta = ensure_object(object, "metadata");
    if (string_field(meta, "name").empty() && !string_field(meta, "generateName").empty())
        meta["name"] = string_field(meta, "generateName") + random_name_suffix();
    if (!string_field(meta, "resourceVersion").empty())
        return error_reply(internal_error("resourceVersion should not be set on objects to be created"));
    auto name = string_field(meta, "name");
    if (auto err = require_namespace(ctx, type, info.namespace_)) return error_reply(*err);
    if (auto err = prepare_object(type, object)) return error_reply(*err);
    if (auto errors = validate_create(type, object); !errors.empty())
        return error_reply(invalid_object(type, name, errors));
    auto created = ctx.store.create(type.qualified_plural(), std::move(object), dry_run(info));
    if (!created) return error_reply(already_exists(type, name));
    return after_create_hooks(ctx, type, *created, dry_run(info));
}

// PUT semantics shared by update and patch: the body is the complete new object.
Reply do_update(ServerContext& ctx, ResourceType const& type, RequestInfo const& info, json::object object,
                bool from_patch) {
    if (auto err = align_namespace(type, info, object)) return error_reply(*err);
    auto& meta = ensure_object(object, "metadata");
    auto body_name = string_field(meta, "name");
    if (body_name.empty()) {
        meta["name"] = info.name;
    } else if (body_name != info.name) {
        return error_reply(bad_request("the name of the object (" + body_name +
                                       ") does not match the name on the URL (" + info.name + ")"));
    }
    auto policy = update_policy(type);
    auto rv = string_field(meta, "resourceVersion");
    auto existing = ctx.store.get(type.qualified_plural(), type.namespaced ? info.namespace_ : "", info.name);
    if (!existing) {
        if (!policy.allow_create_on_update || from_patch) return error_reply(not_found(type, info.name));
        meta.erase("resourceVersion");
        return do_create(ctx, type, info, std::move(object));
    }
    if (rv.empty() && !policy.allow_unconditional_update && !from_patch) {
        // GroupKind{group, resource}: upstream names the resource here, not the kind.
        return error_reply(invalid(type.qualified_plural(), type.group, type.plural, info.name,
                                   {FieldError::invalid("metadata.resourceVersion", "0x0",
                                                        "must be specified for an update")}));
    }
    if (!rv.empty() && rv != metadata_string(*existing, "resourceVersion"))
        return error_reply(stale_update_conflict(type, info.name));
    if (auto err = prepare_object(type, object)) return error_reply(*err);
    if (auto errors = validate_update(type, *existing, object); !errors.empty())
        return error_reply(invalid_object(type, info.name, errors));
    std::optional<std::string> expected;
    if (!rv.empty()) expected = rv;
    auto updated = ctx.store.update(type.qualified_plural(), std::move(object), expected, dry_run(info));
    if (!updated) {
        if (updated.error() == StoreErrc::conflict) return error_reply(stale_update_conflict(type, info.name));
        return error_reply(not_found(type, info.name));
    }
    return stored_object_reply(http::status::ok, *updated);
}

// RFC 7386 JSON merge patch (strategic merge patch is treated the same: our kinds have no
// merge keys that matter to the clients we serve).
void merge_patch(json::object& target, json::object const& patch) {
    for (auto const& [k, v] : patch) {
        if (v.is_null()) {
            target.erase(k);
        } else if (v.is_object()) {
            auto& t = target[k];
            if (!t.is_object()) t = json::object();
            merge_patch(t.as_object(), v.as_object());
        } else {
            target[k] = v;
        }
    }
}

Reply do_patch(ServerContext& ctx, ResourceType const& type, RequestInfo const& info, HttpRequest const& request) {
    std::string ct(request[http::field::content_type]);
    ct = ct.substr(0, ct.find(';'));
    if (ct != "application/merge-patch+json" && ct != "application/strategic-merge-patch+json")
        return error_reply(unsupported_media_type(ct));
    auto existing = ctx.store.get(type.qualified_plural(), type.namespaced ? info.namespace_ : "", info.name);
    if (!existing) return error_reply(not_found(type, info.name));
    boost::system::error_code ec;
    auto patch = json::parse(request.body(), ec);
    if (ec || !patch.is_object()) return error_reply(bad_request("the patch body is not a JSON object"));
    json::object merged = *existing;
    merge_patch(merged, patch.as_object());
    return do_update(ctx, type, info, std::move(merged), true);
}

Reply do_delete(ServerContext& ctx, ResourceType const& type, RequestInfo const& info, HttpRequest const& request) {
    auto options = decode_optional_json_body(request);
    if (!options) return error_reply(options.error());
    std::string ns = type.namespaced ? info.namespace_ : "";
    auto existing = ctx.store.get(type.qualified_plural(), ns, info.name);
    if (!existing) return error_reply(not_found(type, info.name));
    std::optional<std::string> expected_rv;
    if (auto const* pre = object_field(*options, "preconditions")) {
        auto uid = string_field(*pre, "uid");
        auto rv = string_field(*pre, "resourceVersion");
        if (!uid.empty() && uid != metadata_string(*existing, "uid"))
            return error_reply(conflict(type, info.name,
                                        "Precondition failed: UID in precondition: " + uid +
                                            ", UID in object meta: " + metadata_string(*existing, "uid")));
        if (!rv.empty() && rv != metadata_string(*existing, "resourceVersion"))
            return error_reply(conflict(type, info.name,
                                        "Precondition failed: ResourceVersion in precondition: " + rv +
                                            ", ResourceVersion in object meta: " +
                                            metadata_string(*existing, "resourceVersion")));
        if (!rv.empty()) expected_rv = rv;
    }
    bool dry = dry_run(info);
    if (!dry && options->contains("dryRun")) {
        auto const& d = (*options)["dryRun"];
        dry = d.is_array() && !d.as_array().empty();
    }
    if (dry) return stored_object_reply(http::status::ok, *existing);
    auto removed = ctx.store.remove(type.qualified_plural(), ns, info.name, expected_rv);
    if (!removed) return error_reply(stale_update_conflict(type, info.name));
    if (type.plural == "namespaces") ctx.store.remove_namespace_contents(info.name);
    return stored_object_reply(http::status::ok, *removed);
}

Reply do_list(ServerContext& ctx, ResourceType const& type, RequestInfo const& info) {
    std::optional<std::string> ns;
    if (type.namespaced && !info.namespace_.empty()) ns = info.namespace_;
    auto selected = parse_list_selectors(info, type.plural);
    if (!selected) return error_reply(bad_request(selected.error().message));
    ObjectPredicate const matches_selectors = *selected;
    auto listed = ctx.store.list(type.qualified_plural(), ns);
    json::array items;
    for (auto& item : listed.items) {
        if (!matches_selectors(item)) continue;
        // Upstream list items carry no kind/apiVersion; clients take them from the list.
        item.erase("kind");
        item.erase("apiVersion");
        items.emplace_back(std::move(item));
    }
    json::object list{{"kind", type.list_kind()},
                      {"apiVersion", type.api_version()},
                      {"metadata", json::object{{"resourceVersion", std::to_string(listed.resource_version)}}},
                      {"items", std::move(items)}};
    return json_reply(http::status::ok, list);
}

}  // namespace

Reply handle_crud(ServerContext& ctx, ResourceType const& type, RequestInfo const& info, HttpRequest const& request) {
    if (!info.subresource.empty())
        return error_reply(not_found(type, info.name + "/" + info.subresource));
    if (info.verb == "get") {
        auto obj = ctx.store.get(type.qualified_plural(), type.namespaced ? info.namespace_ : "", info.name);
        if (!obj) return error_reply(not_found(type, info.name));
        return stored_object_reply(http::status::ok, std::move(*obj));
    }
    if (info.verb == "list") return do_list(ctx, type, info);
    if (info.verb == "create") {
        if (!info.name.empty())
            return error_reply(method_not_allowed("the server does not allow this method on the requested resource"));
        auto body = decode_object_body(request, type);
        if (!body) return error_reply(body.error());
        return do_create(ctx, type, info, std::move(*body));
    }
    if (info.verb == "update") {
        auto body = decode_object_body(request, type);
        if (!body) return error_reply(body.error());
        return do_update(ctx, type, info, std::move(*body), false);
    }
    if (info.verb == "patch") return do_patch(ctx, type, info, request);
    if (info.verb == "delete") return do_delete(ctx, type, info, request);
    if (info.verb == "watch") return handle_watch(ctx, type, info);
    return error_reply(method_not_allowed("the server does not allow this method on the requested resource"));
}

void ensure_namespace(ObjectStore& store, std::string const& name) {
    if (store.get("namespaces", "", name)) return;
    auto const& type = namespaces_type();
    json::object ns{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", json::object{{"name", name}}}};
    (void)prepare_object(type, ns);
    (void)store.create("namespaces", std::move(ns));
    ensure_service_account(store, name, "default");
}

std::string ensure_service_account(ObjectStore& store, std::string const& ns, std::string const& name) {
    if (auto sa = store.get("serviceaccounts", ns, name)) return metadata_string(*sa, "uid");
    (void)service_accounts_type();
    json::object sa{{"apiVersion", "v1"},
                    {"kind", "ServiceAccount"},
                    {"metadata", json::object{{"name", name}, {"namespace", ns}}}};
    auto created = store.create("serviceaccounts", std::move(sa));
    return metadata_string(*created, "uid");
}

}  // namespace gic::emu::kube
