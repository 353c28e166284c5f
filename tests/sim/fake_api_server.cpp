#include "fake_api_server.hpp"

#include "kube/status_parse.hpp"
#include "util/time_format.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace gic::sim {

namespace json = boost::json;
using boost::asio::awaitable;
using kube::ApiResult;
using kube::WatchEventType;

namespace {

json::object& metadata_of(json::object& object) {
    auto& metadata = object["metadata"];
    if (!metadata.is_object()) metadata = json::object();
    return metadata.as_object();
}

std::string string_field(json::object const& object, char const* field) {
    auto const* metadata = object.if_contains("metadata");
    if (metadata == nullptr || !metadata->is_object()) return {};
    auto const* value = metadata->as_object().if_contains(field);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::string group_of(kube::ResourceRef const& ref) {
    auto const slash = ref.group_version.find('/');
    return slash == std::string::npos ? std::string() : ref.group_version.substr(0, slash);
}

// "secrets" or "leases.coordination.k8s.io", as the server's messages name a resource.
std::string qualified(kube::ResourceRef const& ref) {
    auto const group = group_of(ref);
    return group.empty() ? ref.resource : ref.resource + "." + group;
}

ObjectKey key_of(kube::ResourceRef const& ref) { return {ref.resource, ref.namespace_, ref.name}; }

// "metadata.name=x" -> "x"; other selectors are not used by the agent.
std::string selected_name(std::string const& selector) {
    std::string const prefix = "metadata.name=";
    return selector.rfind(prefix, 0) == 0 ? selector.substr(prefix.size()) : std::string();
}

bool watched_by(ServerWatch const& watch, ObjectKey const& key) {
    return watch.resource == key.resource && watch.namespace_ == key.namespace_ &&
           (watch.name.empty() || watch.name == key.name);
}

char const* verb_name(WatchEventType type) {
    switch (type) {
    case WatchEventType::added: return "ADDED";
    case WatchEventType::modified: return "MODIFIED";
    case WatchEventType::deleted: return "DELETED";
    case WatchEventType::bookmark: return "BOOKMARK";
    case WatchEventType::error: return "ERROR";
    }
    return "?";
}

}  // namespace

kube::ApiError status_error(int code, std::string const& reason, std::string const& message, kube::ResourceRef const& ref,
                            char const* verb, std::optional<std::chrono::seconds> retry_after) {
    json::object status{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Failure"},
                        {"message", message}, {"reason", reason}, {"code", code}};
    json::object details{{"kind", ref.resource}};
    if (!ref.name.empty()) details["name"] = ref.name;
    if (auto group = group_of(ref); !group.empty()) details["group"] = group;
    if (retry_after) details["retryAfterSeconds"] = retry_after->count();
    status["details"] = std::move(details);
    auto error = kube::api_error_from_response(code, json::serialize(status), retry_after);
    error.verb = verb;
    error.resource = ref.resource;
    error.api_group = group_of(ref);
    error.namespace_ = ref.namespace_;
    error.name = ref.name;
    error.server = "https://fake-api-server";
    error.credentials = "simulated service-account token";
    return error;
}

ApiResult<json::object> FakeApiServer::get(kube::ResourceRef const& ref) {
    auto const found = objects_.find(key_of(ref));
    if (found == objects_.end())
        return status_error(404, "NotFound", qualified(ref) + " \"" + ref.name + "\" not found", ref, "get");
    return *found->second;
}

ApiResult<json::object> FakeApiServer::create(kube::ResourceRef const& ref, json::object const& body,
                                              std::string const& actor) {
    json::object object = body;
    auto& metadata = metadata_of(object);
    ObjectKey key{ref.resource, ref.namespace_, string_field(object, "name")};
    if (key.name.empty()) key.name = ref.name;
    kube::ResourceRef named = ref;
    named.name = key.name;
    if (objects_.contains(key))
        return status_error(409, "AlreadyExists", qualified(ref) + " \"" + key.name + "\" already exists", named, "create");
    metadata["name"] = key.name;
    metadata["namespace"] = ref.namespace_;
    metadata["uid"] = "00000000-0000-4000-8000-" + std::to_string(1'000'000'000'000 + next_uid_++);
    metadata["creationTimestamp"] = util::format_rfc3339(clock_.wall_now());
    metadata["resourceVersion"] = std::to_string(++resource_version_);
    auto snapshot = std::make_shared<json::object const>(std::move(object));
    objects_[key] = snapshot;
    commit({resource_version_, WatchEventType::added, key, snapshot, clock_.steady_now(), actor, true});
    return *snapshot;
}

ApiResult<json::object> FakeApiServer::update(kube::ResourceRef const& ref, json::object const& body,
                                              std::string const& actor) {
    auto const key = key_of(ref);
    auto const found = objects_.find(key);
    if (found == objects_.end())
        return status_error(404, "NotFound", qualified(ref) + " \"" + ref.name + "\" not found", ref, "update");
    auto const sent_version = string_field(body, "resourceVersion");
    auto const current_version = string_field(*found->second, "resourceVersion");
    // As the real server: an update without a resourceVersion is unconditional; a stale one fails.
    if (!sent_version.empty() && sent_version != current_version)
        return status_error(409, "Conflict",
                            "Operation cannot be fulfilled on " + qualified(ref) + " \"" + ref.name +
                                "\": the object has been modified; please apply your changes to the latest version and "
                                "try again",
                            ref, "update");
    json::object object = body;
    auto& metadata = metadata_of(object);
    auto const& old_metadata = found->second->at("metadata").as_object();
    metadata["name"] = ref.name;
    metadata["namespace"] = ref.namespace_;
    metadata["uid"] = old_metadata.at("uid");
    metadata["creationTimestamp"] = old_metadata.at("creationTimestamp");
    metadata["resourceVersion"] = std::to_string(++resource_version_);
    auto snapshot = std::make_shared<json::object const>(std::move(object));
    found->second = snapshot;
    commit({resource_version_, WatchEventType::modified, key, snapshot, clock_.steady_now(), actor, !sent_version.empty()});
    return *snapshot;
}

ApiResult<json::object> FakeApiServer::list(kube::ResourceRef const& collection, kube::ListOptions const& options) {
    auto const name = selected_name(options.field_selector);
    json::array items;
    for (auto const& [key, object] : objects_) {
        if (key.resource == collection.resource && key.namespace_ == collection.namespace_ &&
            (name.empty() || key.name == name))
            items.push_back(*object);
    }
    return json::object{{"kind", "List"}, {"apiVersion", collection.group_version},
                        {"metadata", json::object{{"resourceVersion", std::to_string(resource_version_)}}},
                        {"items", std::move(items)}};
}

ApiResult<std::shared_ptr<ServerWatch>> FakeApiServer::watch(kube::ResourceRef const& collection,
                                                             kube::WatchOptions const& options) {
    compact();
    auto watch = std::make_shared<ServerWatch>();
    watch->resource = collection.resource;
    watch->namespace_ = collection.namespace_;
    watch->name = selected_name(options.field_selector);
    if (options.resource_version.empty() || options.resource_version == "0") {
        // Most recent: the objects as they are now, as ADDED events.
        for (auto const& [key, object] : objects_)
            if (watched_by(*watch, key)) watch->pending.push_back({WatchEventType::added, object});
    } else {
        std::uint64_t from = 0;
        try {
            from = std::stoull(options.resource_version);
        } catch (std::exception const&) {
            return status_error(400, "BadRequest", "invalid resource version \"" + options.resource_version + "\"",
                                collection, "watch");
        }
        if (from < compacted_through_)
            return status_error(410, "Expired",
                                "too old resource version: " + options.resource_version + " (" +
                                    std::to_string(compacted_through_) + ")",
                                collection, "watch");
        for (auto const& change : history_)
            if (change.resource_version > from && watched_by(*watch, change.key))
                watch->pending.push_back({change.type, change.object});
    }
    watches_.push_back(watch);
    return watch;
}

std::optional<json::object> FakeApiServer::find(ObjectKey const& key) const {
    auto const found = objects_.find(key);
    if (found == objects_.end()) return std::nullopt;
    return *found->second;
}

std::vector<json::object> FakeApiServer::all_of(std::string const& resource) const {
    std::vector<std::pair<std::uint64_t, Snapshot>> found;
    for (auto const& [key, object] : objects_)
        if (key.resource == resource) found.emplace_back(std::stoull(string_field(*object, "resourceVersion")), object);
    std::sort(found.begin(), found.end(), [](auto const& a, auto const& b) { return a.first < b.first; });
    std::vector<json::object> objects;
    for (auto const& [version, object] : found) objects.push_back(*object);
    return objects;
}

// "holder=r1" for a Lease ("holder=-" when released), nothing for other objects.
std::string describe_holder(json::object const& object) {
    auto const* spec = object.if_contains("spec");
    if (spec == nullptr || !spec->is_object()) return {};
    auto const* holder = spec->as_object().if_contains("holderIdentity");
    if (holder == nullptr || !holder->is_string()) return " holder=-";
    std::string name(holder->as_string());
    auto const underscore = name.find('_');
    if (underscore != std::string::npos) name.resize(underscore);
    return " holder=" + (name.empty() ? std::string("-") : name);
}

void FakeApiServer::commit(Change change) {
    trace_.add("api " + std::string(verb_name(change.type)) + " " + change.key.resource + "/" + change.key.name +
               " rv=" + std::to_string(change.resource_version) + " by " + change.actor +
               describe_holder(*change.object) + (change.conditional ? "" : " (unconditional)"));
    std::erase_if(watches_, [](auto const& w) { return w.expired(); });
    for (auto const& weak : watches_) {
        auto watch = weak.lock();
        if (!watch || !watched_by(*watch, change.key)) continue;
        watch->pending.push_back({change.type, change.object});
        if (watch->wake) watch->wake();
    }
    history_.push_back(std::move(change));
    compact();
    if (on_change) on_change(history_.back());
}

void FakeApiServer::compact() {
    auto const horizon = clock_.steady_now() - history_window;
    while (history_.size() > 1 && history_.front().at < horizon) {
        compacted_through_ = history_.front().resource_version;
        history_.pop_front();
    }
}

}  // namespace gic::sim
