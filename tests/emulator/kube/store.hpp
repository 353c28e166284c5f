#pragma once
// The object store: every stored object keyed by (qualified resource, namespace, name), one
// global resourceVersion counter as etcd has, uid and creationTimestamp assigned on create.
// Knows nothing about HTTP, validation or authorization; handlers own those.
//
// Observers see every committed change in order (the seam for watch streams and the audit log).

#include <boost/json.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace gic::emu::kube {

enum class StoreErrc { not_found, already_exists, conflict };

[[noreturn]] void throw_exception_from_error(StoreErrc const& e, boost::source_location const&);

template <class T>
using StoreResult = boost::system::result<T, StoreErrc>;

enum class ChangeType { added, modified, deleted };

struct StoreChange {
    ChangeType type;
    std::string resource;  // qualified plural ("secrets", "leases.coordination.k8s.io")
    std::string namespace_;
    std::string name;
    std::uint64_t resource_version;
    boost::json::object object;  // the object after the change (before it, for deletions)
};

class ObjectStore {
public:
    using Observer = std::function<void(StoreChange const&)>;

    std::optional<boost::json::object> get(std::string const& resource, std::string const& ns,
                                           std::string const& name) const;

    struct ListResult {
        std::vector<boost::json::object> items;  // ordered by namespace, then name
        std::uint64_t resource_version;
    };
    // All objects of `resource`, in `ns` when given.
    ListResult list(std::string const& resource, std::optional<std::string> const& ns) const;

    // Stores `object` (whose metadata.name/namespace must already be set), assigning uid,
    // creationTimestamp and resourceVersion. Returns the stored object. With dry_run the result
    // is computed but nothing changes.
    StoreResult<boost::json::object> create(std::string const& resource, boost::json::object object,
                                            bool dry_run = false);
    // Replaces the object. `expected_rv` (when set) must equal the stored resourceVersion, else
    // conflict. uid and creationTimestamp are kept from the stored object.
    StoreResult<boost::json::object> update(std::string const& resource, boost::json::object object,
                                            std::optional<std::string> const& expected_rv, bool dry_run = false);
    // Removes and returns the object; `expected_rv` as for update.
    StoreResult<boost::json::object> remove(std::string const& resource, std::string const& ns,
                                            std::string const& name,
                                            std::optional<std::string> const& expected_rv = std::nullopt);
    // Removes every namespaced object in `ns` (namespace deletion is synchronous here).
    void remove_namespace_contents(std::string const& ns);

    std::uint64_t current_resource_version() const { return revision_; }
    void add_observer(Observer observer) { observers_.push_back(std::move(observer)); }

private:
    using Key = std::tuple<std::string, std::string, std::string>;
    void notify(ChangeType type, Key const& key, boost::json::object const& object);

    std::map<Key, boost::json::object> objects_;
    std::uint64_t revision_ = 1;
    std::vector<Observer> observers_;
};

}  // namespace gic::emu::kube
