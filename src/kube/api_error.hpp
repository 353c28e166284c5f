#pragma once
// A failed Kubernetes API call, as client-go sees it: the HTTP code and the Status reason and
// message when the server sent one, or a transport failure (code 0).

#include <chrono>
#include <optional>
#include <string>

namespace gic::kube {

struct ApiError {
    int code = 0;                 // HTTP status; 0 for connection/TLS/timeout failures
    std::string reason;           // Status.reason ("NotFound", "Conflict", ...) or derived from the code
    std::string message;          // Status.message, or the transport error
    std::string verb;             // "get", "create", "update", "delete", "list", "watch"
    std::string resource;         // "secrets", "leases", "serviceaccounts/token", ...
    std::string api_group;        // "" for the core group, "coordination.k8s.io", ... (named by 403 messages)
    std::string namespace_;       // may be empty for cluster-scoped resources
    std::string name;             // may be empty for collections
    std::string server;           // https://host:port
    std::string credentials;      // where the credentials came from ("token file /var/run/...", ...); never a secret
    std::optional<std::chrono::seconds> retry_after;  // Retry-After header or details.retryAfterSeconds

    bool is_not_found() const { return code == 404; }
    bool is_conflict() const { return code == 409 && reason != "AlreadyExists"; }
    bool is_already_exists() const { return code == 409 && reason == "AlreadyExists"; }
    bool is_unauthorized() const { return code == 401; }
    bool is_forbidden() const { return code == 403; }
    bool is_transport() const { return code == 0; }
    // 429, 5xx, and transport failures.
    bool is_retriable() const { return code == 0 || code == 429 || code >= 500; }

    // One line for operators. For 403 it names the RBAC rule that must allow the call:
    //   `forbidden: RBAC must allow verb "update" on "secrets" in namespace "ns" (apiGroup ""): <message>`
    // For 401: `unauthorized by https://host:port: check the service-account token or kubeconfig credentials`.
    std::string describe() const;
};

}  // namespace gic::kube
