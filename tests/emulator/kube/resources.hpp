#pragma once
// The resource types the emulator serves: what discovery advertises, how paths map to stored
// objects and how Status messages name them (`secrets "x"`, `leases.coordination.k8s.io "x"`).

#include <string>
#include <string_view>
#include <vector>

namespace gic::emu::kube {

struct Subresource {
    std::string name;  // "token"
    std::string group, version, kind;  // the response kind
    std::vector<std::string> verbs;
};

struct ResourceType {
    std::string group;     // "" for core
    std::string version;   // "v1"
    std::string plural;    // "secrets"
    std::string singular;  // "secret"
    std::string kind;      // "Secret"
    bool namespaced = true;
    // Kept in the object store. Review-style resources (tokenreviews, selfsubjectaccessreviews)
    // are create-only computations and are not.
    bool stored = true;
    std::vector<std::string> verbs;
    std::vector<std::string> short_names;
    std::vector<Subresource> subresources;

    // "v1" or "coordination.k8s.io/v1".
    std::string api_version() const { return group.empty() ? version : group + "/" + version; }
    // "secrets" or "leases.coordination.k8s.io": the form Status messages and the store use.
    std::string qualified_plural() const { return group.empty() ? plural : plural + "." + group; }
    // "Secret" or "Lease.coordination.k8s.io": the GroupKind form of Invalid messages.
    std::string qualified_kind() const { return group.empty() ? kind : kind + "." + group; }
    std::string list_kind() const { return kind + "List"; }
};

struct GroupVersion {
    std::string group;
    std::string version;
    std::string to_string() const { return group.empty() ? version : group + "/" + version; }
};

// Every served resource type, core group first, in the order discovery lists them.
std::vector<ResourceType> const& all_resource_types();
// The served group-versions, core first, then the named groups in the order above.
std::vector<GroupVersion> const& served_group_versions();
ResourceType const* find_resource_type(std::string_view group, std::string_view version, std::string_view plural);
ResourceType const* find_resource_type_by_kind(std::string_view group, std::string_view kind);

}  // namespace gic::emu::kube
