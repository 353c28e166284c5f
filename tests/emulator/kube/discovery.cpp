#include "discovery.hpp"

#include "resources.hpp"

namespace gic::emu::kube {

namespace json = boost::json;

namespace {

constexpr char const* git_version = "v1.32.4";

json::array strings(std::vector<std::string> const& v) {
    json::array a;
    for (auto const& s : v) a.emplace_back(s);
    return a;
}

json::object version_info() {
    return {{"major", "1"},
            {"minor", "32"},
            {"gitVersion", git_version},
            {"gitCommit", "59526cd4867447956156ae3a602fcbac5d0c00b3"},
            {"gitTreeState", "clean"},
            {"buildDate", "2025-04-22T16:03:13Z"},
            {"goVersion", "go1.23.6"},
            {"compiler", "gc"},
            {"platform", "linux/amd64"}};
}

std::vector<ResourceType const*> resources_of(GroupVersion const& gv) {
    std::vector<ResourceType const*> out;
    for (auto const& r : all_resource_types())
        if (r.group == gv.group && r.version == gv.version) out.push_back(&r);
    return out;
}

// --- aggregated discovery (apidiscovery.k8s.io/v2) ---

json::object aggregated_resource(ResourceType const& r) {
    json::object o{{"resource", r.plural},
                   {"responseKind", json::object{{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
                   {"scope", r.namespaced ? "Namespaced" : "Cluster"},
                   {"singularResource", r.singular},
                   {"verbs", strings(r.verbs)}};
    if (!r.short_names.empty()) o["shortNames"] = strings(r.short_names);
    if (!r.subresources.empty()) {
        json::array subs;
        for (auto const& s : r.subresources)
            subs.push_back(json::object{
                {"subresource", s.name},
                {"responseKind", json::object{{"group", s.group}, {"version", s.version}, {"kind", s.kind}}},
                {"verbs", strings(s.verbs)}});
        o["subresources"] = std::move(subs);
    }
    return o;
}

json::object aggregated_group(std::string const& group) {
    json::array versions;
    for (auto const& gv : served_group_versions()) {
        if (gv.group != group) continue;
        json::array resources;
        for (auto const* r : resources_of(gv)) resources.push_back(aggregated_resource(*r));
        versions.push_back(json::object{{"version", gv.version}, {"resources", std::move(resources)},
                                        {"freshness", "Current"}});
    }
    json::object meta{{"creationTimestamp", nullptr}};
    if (!group.empty()) meta["name"] = group;
    return {{"metadata", std::move(meta)}, {"versions", std::move(versions)}};
}

json::object aggregated_list(bool core) {
    json::array items;
    if (core) {
        items.push_back(aggregated_group(""));
    } else {
        std::vector<std::string> groups;
        for (auto const& gv : served_group_versions())
            if (!gv.group.empty() && (groups.empty() || groups.back() != gv.group)) groups.push_back(gv.group);
        for (auto const& g : groups) items.push_back(aggregated_group(g));
    }
    return {{"kind", "APIGroupDiscoveryList"},
            {"apiVersion", "apidiscovery.k8s.io/v2"},
            {"metadata", json::object()},
            {"items", std::move(items)}};
}

// Which aggregated version the client accepts, if any ("v2", "v2beta1" or "").
std::string accepted_aggregated_version(HttpRequest const& request) {
    std::string accept(request[http::field::accept]);
    std::string best;
    std::size_t start = 0;
    while (start < accept.size()) {
        auto end = accept.find(',', start);
        if (end == std::string::npos) end = accept.size();
        std::string part = accept.substr(start, end - start);
        std::string compact;
        for (char c : part)
            if (c != ' ') compact += c;
        if (compact.find("g=apidiscovery.k8s.io") != std::string::npos &&
            compact.find("as=APIGroupDiscoveryList") != std::string::npos) {
            if (compact.find("v=v2beta1") != std::string::npos) {
                if (best.empty()) best = "v2beta1";
            } else if (compact.find("v=v2") != std::string::npos) {
                best = "v2";
            }
        }
        start = end + 1;
    }
    return best;
}

Reply aggregated_reply(bool core, std::string const& version) {
    auto body = aggregated_list(core);
    body["apiVersion"] = "apidiscovery.k8s.io/" + version;
    Reply r = json_reply(http::status::ok, body,
                         "application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList");
    r.response.set(http::field::vary, "Accept");
    return r;
}

// --- legacy discovery ---

json::object group_version_entry(GroupVersion const& gv) {
    return {{"groupVersion", gv.to_string()}, {"version", gv.version}};
}

json::object api_group(std::string const& group) {
    json::array versions;
    for (auto const& gv : served_group_versions())
        if (gv.group == group) versions.push_back(group_version_entry(gv));
    json::value preferred = versions.front();
    return {{"name", group}, {"versions", std::move(versions)}, {"preferredVersion", std::move(preferred)}};
}

json::object api_resource_list(GroupVersion const& gv) {
    json::array resources;
    for (auto const* r : resources_of(gv)) {
        json::object o{{"name", r->plural},
                       {"singularName", r->singular},
                       {"namespaced", r->namespaced},
                       {"kind", r->kind},
                       {"verbs", strings(r->verbs)}};
        if (!r->short_names.empty()) o["shortNames"] = strings(r->short_names);
        resources.push_back(std::move(o));
        for (auto const& s : r->subresources)
            resources.push_back(json::object{{"name", r->plural + "/" + s.name},
                                             {"singularName", ""},
                                             {"namespaced", r->namespaced},
                                             {"group", s.group},
                                             {"version", s.version},
                                             {"kind", s.kind},
                                             {"verbs", strings(s.verbs)}});
    }
    return {{"kind", "APIResourceList"},
            {"apiVersion", "v1"},
            {"groupVersion", gv.to_string()},
            {"resources", std::move(resources)}};
}

// --- OpenAPI v3 ---

std::string openapi_path(GroupVersion const& gv) { return gv.group.empty() ? "api/v1" : "apis/" + gv.to_string(); }

// A stable per-document hash: kubectl echoes it and caches by URL.
std::string openapi_hash(GroupVersion const& gv) {
    std::size_t h = std::hash<std::string>{}("gic-emulator-openapi-1:" + gv.to_string());
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016zX", h);
    return buf;
}

json::object openapi_root() {
    json::object paths;
    for (auto const& gv : served_group_versions())
        paths[openapi_path(gv)] = json::object{
            {"serverRelativeURL", "/openapi/v3/" + openapi_path(gv) + "?hash=" + openapi_hash(gv)}};
    return {{"paths", std::move(paths)}};
}

json::object openapi_group_version(GroupVersion const& gv) {
    json::object paths;
    for (auto const* r : resources_of(gv)) {
        if (!r->stored) continue;
        std::string base = "/" + openapi_path(gv) + (r->namespaced ? "/namespaces/{namespace}/" : "/") + r->plural +
                           "/{name}";
        json::object gvk{{"group", r->group}, {"version", r->version}, {"kind", r->kind}};
        json::array params{json::object{{"name", "dryRun"}, {"in", "query"}, {"schema", json::object{{"type", "string"}}}},
                           json::object{{"name", "fieldManager"}, {"in", "query"},
                                        {"schema", json::object{{"type", "string"}}}},
                           json::object{{"name", "fieldValidation"}, {"in", "query"},
                                        {"schema", json::object{{"type", "string"}}}}};
        json::object op{{"operationId", "patch" + r->kind},
                        {"x-kubernetes-action", "patch"},
                        {"x-kubernetes-group-version-kind", gvk},
                        {"parameters", params}};
        json::object put = op;
        put["operationId"] = "replace" + r->kind;
        put["x-kubernetes-action"] = "put";
        paths[base] = json::object{{"patch", std::move(op)}, {"put", std::move(put)}};
    }
    return {{"openapi", "3.0.0"},
            {"info", json::object{{"title", "Kubernetes"}, {"version", git_version}}},
            {"paths", std::move(paths)},
            {"components", json::object{{"schemas", json::object()}}}};
}

Reply not_found_reply() {
    return error_reply(status_from_code(404, "NotFound", "the server could not find the requested resource"));
}

}  // namespace

std::optional<Reply> handle_discovery(RequestInfo const& info, HttpRequest const& request) {
    if (request.method() != http::verb::get) return std::nullopt;
    auto const& path = info.path;
    if (path == "/version" || path == "/version/") return json_reply(http::status::ok, version_info());
    if (path == "/healthz" || path == "/livez" || path == "/readyz") {
        Reply r = json_reply(http::status::ok, nullptr, "text/plain; charset=utf-8");
        r.response.body() = "ok";
        return r;
    }
    if (path == "/api" || path == "/api/") {
        auto v = accepted_aggregated_version(request);
        if (!v.empty()) return aggregated_reply(true, v);
        return json_reply(http::status::ok,
                          json::object{{"kind", "APIVersions"},
                                       {"versions", json::array{"v1"}},
                                       {"serverAddressByClientCIDRs",
                                        json::array{json::object{{"clientCIDR", "0.0.0.0/0"},
                                                                 {"serverAddress", "127.0.0.1:443"}}}}});
    }
    if (path == "/apis" || path == "/apis/") {
        auto v = accepted_aggregated_version(request);
        if (!v.empty()) return aggregated_reply(false, v);
        json::array groups;
        std::string last;
        for (auto const& gv : served_group_versions()) {
            if (gv.group.empty() || gv.group == last) continue;
            last = gv.group;
            groups.push_back(api_group(gv.group));
        }
        return json_reply(http::status::ok,
                          json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}});
    }
    if (!info.resource_request && !info.version.empty()) {
        // /api/v1 or /apis/<g>/<v>
        for (auto const& gv : served_group_versions())
            if (gv.group == info.group && gv.version == info.version)
                return json_reply(http::status::ok, api_resource_list(gv));
        return not_found_reply();
    }
    if (path.rfind("/apis/", 0) == 0 && path.find('/', 6) == std::string::npos) {
        std::string group = path.substr(6);
        for (auto const& gv : served_group_versions())
            if (gv.group == group) {
                auto g = api_group(group);
                g["kind"] = "APIGroup";
                g["apiVersion"] = "v1";
                return json_reply(http::status::ok, g);
            }
        return not_found_reply();
    }
    if (path == "/openapi/v3" || path == "/openapi/v3/") return json_reply(http::status::ok, openapi_root());
    if (path.rfind("/openapi/v3/", 0) == 0) {
        std::string rest = path.substr(12);
        for (auto const& gv : served_group_versions())
            if (openapi_path(gv) == rest) return json_reply(http::status::ok, openapi_group_version(gv));
        return not_found_reply();
    }
    return std::nullopt;
}

}  // namespace gic::emu::kube
