#include "store.hpp"

#include "json_util.hpp"

#include <stdexcept>

namespace gic::emu::kube {

namespace json = boost::json;

void throw_exception_from_error(StoreErrc const& e, boost::source_location const&) {
    throw std::logic_error("object store error " + std::to_string(static_cast<int>(e)) + " used as a value");
}

std::optional<json::object> ObjectStore::get(std::string const& resource, std::string const& ns,
                                             std::string const& name) const {
    auto it = objects_.find(Key{resource, ns, name});
    if (it == objects_.end()) return std::nullopt;
    return it->second;
}

ObjectStore::ListResult ObjectStore::list(std::string const& resource, std::optional<std::string> const& ns) const {
    ListResult out{{}, revision_};
    auto it = objects_.lower_bound(Key{resource, ns.value_or(""), ""});
    for (; it != objects_.end() && std::get<0>(it->first) == resource; ++it) {
        if (ns && std::get<1>(it->first) != *ns) break;
        out.items.push_back(it->second);
    }
    return out;
}

StoreResult<json::object> ObjectStore::create(std::string const& resource, json::object object, bool dry_run) {
    Key key{resource, metadata_string(object, "namespace"), metadata_string(object, "name")};
    if (objects_.count(key)) return StoreErrc::already_exists;
    auto& meta = ensure_object(object, "metadata");
    meta["uid"] = random_uuid();
    meta["creationTimestamp"] = now_rfc3339();
    meta.erase("deletionTimestamp");
    if (dry_run) {
        meta["resourceVersion"] = std::to_string(revision_);
        return object;
    }
    meta["resourceVersion"] = std::to_string(++revision_);
    objects_[key] = object;
    notify(ChangeType::added, key, object);
    return object;
}

StoreResult<json::object> ObjectStore::update(std::string const& resource, json::object object,
                                              std::optional<std::string> const& expected_rv, bool dry_run) {
    Key key{resource, metadata_string(object, "namespace"), metadata_string(object, "name")};
    auto it = objects_.find(key);
    if (it == objects_.end()) return StoreErrc::not_found;
    auto const& old_meta = it->second.at("metadata").as_object();
    if (expected_rv && *expected_rv != string_field(old_meta, "resourceVersion")) return StoreErrc::conflict;
    auto& meta = ensure_object(object, "metadata");
    meta["uid"] = old_meta.at("uid");
    meta["creationTimestamp"] = old_meta.at("creationTimestamp");
    if (dry_run) {
        meta["resourceVersion"] = old_meta.at("resourceVersion");
        return object;
    }
    meta["resourceVersion"] = std::to_string(++revision_);
    it->second = object;
    notify(ChangeType::modified, key, object);
    return object;
}

StoreResult<json::object> ObjectStore::remove(std::string const& resource, std::string const& ns,
                                              std::string const& name, std::optional<std::string> const& expected_rv) {
    auto it = objects_.find(Key{resource, ns, name});
    if (it == objects_.end()) return StoreErrc::not_found;
    if (expected_rv && *expected_rv != metadata_string(it->second, "resourceVersion")) return StoreErrc::conflict;
    json::object object = std::move(it->second);
    Key key = it->first;
    objects_.erase(it);
    ++revision_;
    notify(ChangeType::deleted, key, object);
    return object;
}

void ObjectStore::remove_namespace_contents(std::string const& ns) {
    std::vector<Key> doomed;
    for (auto const& [key, _] : objects_)
        if (!ns.empty() && std::get<1>(key) == ns) doomed.push_back(key);
    for (auto const& key : doomed) (void)remove(std::get<0>(key), std::get<1>(key), std::get<2>(key));
}

void ObjectStore::notify(ChangeType type, Key const& key, json::object const& object) {
    StoreChange change{type, std::get<0>(key), std::get<1>(key), std::get<2>(key), revision_, object};
    for (auto const& o : observers_) o(change);
}

}  // namespace gic::emu::kube
