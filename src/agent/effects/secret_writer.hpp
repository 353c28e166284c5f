#pragma once
// Reads and writes the output Secret with get / create / update and resourceVersion (the seed's
// RBAC grants no patch). Conflicts are re-read and retried; a newer certificate written by another
// replica is kept; a Secret of another type is left alone (its type is immutable).

#include "agent/decisions/tls_material.hpp"
#include "kube/api.hpp"
#include "kube/object_meta.hpp"
#include "pki/certificate.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gic::agent {

struct SecretTarget {
    std::string namespace_;
    std::string name;
    std::string display() const { return namespace_ + "/" + name; }
};

enum class WriteOutcome { created, updated, kept_newer };

// "created", "updated", "kept-newer" (logs and the --once summary).
char const* write_outcome_name(WriteOutcome outcome);

// The output Secret as the API addresses it (core v1 secrets).
kube::ResourceRef secret_ref(SecretTarget const& target);

struct SecretWriteContext {
    std::string spiffe_id;
    std::vector<pki::Certificate> trusted_roots;
    std::string writer;  // the replica identity recorded in an annotation
};

// Errors name the Secret and, for API failures, what RBAC must allow. `seen`, when given, is set
// to the metadata of every Secret the API returns on the way (its uid and resourceVersion are
// what Events about it refer to). "Is the stored certificate newer and still valid"
// is judged at `clock`'s wall time.
// `read_ahead`: the answer of a GET of the Secret made earlier (--once reads it while the
// certificate is issued), used instead of the first GET when it found the Secret or found none.
// It may be stale: the update carries its resourceVersion, so a Secret changed since is a conflict
// and is read again; a create that finds it exists reads it again too.
boost::asio::awaitable<Result<WriteOutcome>> write_tls_secret(
    kube::Api& api, util::Clock& clock, SecretTarget const& target, KeyedChain const& issued,
    SecretWriteContext const& context, kube::ObjectMeta* seen = nullptr,
    std::optional<kube::ApiResult<boost::json::object>> read_ahead = std::nullopt);

// The Secret's material, or nullopt when the Secret does not exist.
boost::asio::awaitable<Result<std::optional<TlsMaterial>>> read_tls_secret(kube::Api& api, SecretTarget const& target,
                                                                          kube::ObjectMeta* seen = nullptr);

}  // namespace gic::agent
