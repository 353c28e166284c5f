#pragma once
// The Kubernetes API as the agent uses it: get, create and update of one object (optimistic
// concurrency through metadata.resourceVersion), and LIST and WATCH of a collection. kube::Client
// is the real one over HTTPS; tests and the fault simulator put an in-process API server behind
// the same interface, so the code above it (the Secret writer, the Lease steps, the object
// follower, Events, the minted token) runs unchanged against either.
//
// Per-Operation Cancellation and Thread Safety: as kube::Client documents.

#include "kube/api_error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace gic::kube {

// Identifies an object or a collection.
struct ResourceRef {
    std::string group_version;  // "v1", "coordination.k8s.io/v1"
    std::string resource;       // plural: "secrets"
    std::string namespace_;     // empty for cluster-scoped
    std::string name;           // empty for a collection
    std::string subresource;    // "token" for serviceaccounts/token

    // "/api/v1/namespaces/ns/secrets/name" or "/apis/group/version/...".
    std::string path() const;
};

template <class T>
using ApiResult = boost::system::result<T, ApiError>;

enum class WatchEventType { added, modified, deleted, bookmark, error };

struct WatchEvent {
    WatchEventType type = WatchEventType::added;
    boost::json::object object;  // for `error`, the Status object (code 410 = expired: relist)
};

struct ListOptions {
    std::string field_selector;  // e.g. "metadata.name=gen-istio-cert"
    std::string resource_version;  // "" = most recent (quorum read)
};

struct WatchOptions {
    std::string field_selector;
    std::string resource_version;              // events strictly after this version
    std::chrono::seconds timeout_seconds{300};  // sent to the server; it ends the stream then
    bool allow_bookmarks = true;
    std::chrono::seconds idle_grace{30};        // extra time without bytes before we give up
    std::size_t max_event_bytes = 3 * 1024 * 1024;  // one event's JSON (an object and its envelope); larger ends the stream with an error
};

class WatchStream {
public:
    virtual ~WatchStream() = default;
    // The next event; nullopt when the server ended the stream normally (its timeout): re-watch
    // from the last resourceVersion seen. An ApiError for transport failures, read deadline, or an
    // HTTP error answer to the watch request (410 included).
    virtual boost::asio::awaitable<ApiResult<std::optional<WatchEvent>>> next() = 0;
};

class Api {
public:
    virtual ~Api() = default;
    virtual boost::asio::awaitable<ApiResult<boost::json::object>> get(ResourceRef const& ref) = 0;
    // POST to the collection of `ref` (ref.name then only names the object in errors), or to
    // ref.path() when ref.subresource is set (serviceaccounts/<name>/token).
    virtual boost::asio::awaitable<ApiResult<boost::json::object>> create(ResourceRef const& ref,
                                                                          boost::json::object const& body) = 0;
    // PUT; the body carries metadata.resourceVersion for optimistic concurrency (409 when stale).
    virtual boost::asio::awaitable<ApiResult<boost::json::object>> update(ResourceRef const& ref,
                                                                          boost::json::object const& body) = 0;
    // The collection's list: the JSON List object (items, metadata.resourceVersion).
    virtual boost::asio::awaitable<ApiResult<boost::json::object>> list(ResourceRef const& collection,
                                                                        ListOptions const& options) = 0;
    // Opens a watch on `collection` (ref.name empty); events come from the stream.
    virtual boost::asio::awaitable<ApiResult<std::unique_ptr<WatchStream>>> watch(ResourceRef const& collection,
                                                                                  WatchOptions const& options) = 0;
};

}  // namespace gic::kube
