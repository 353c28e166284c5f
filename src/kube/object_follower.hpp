#pragma once
// Follows one named object with LIST+WATCH, as client-go's reflector does for a single-object
// informer (kubernetes-api.md section 5): list with a field selector on the name, watch from the
// list's resourceVersion with bookmarks and a randomised timeoutSeconds (5 to 10 min, like
// client-go), re-watch from the last version seen when the server ends the stream, relist at once
// on 410 (version too old) and with backoff (800 ms doubling to 30 s) after other failures. A
// stalled connection cannot hang it (the watch's read deadline).
//
// Between re-watches the follower makes no request: a followed object costs one open watch.
//
// Per-Operation Cancellation: runs until cancelled (then throws operation_aborted).
// Thread Safety: io_context thread only.

#include "kube/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>

namespace gic::kube {

struct FollowedObject {
    ResourceRef collection;  // the object's collection (name empty), e.g. {"v1","configmaps","ns","",""}
    std::string name;
    std::string display;        // for logs: "Lease ns/name"
    std::string log_component;  // the component its log lines carry
};

// `on_change` gets the object after every list and every ADDED/MODIFIED event, and nullopt when
// the list does not hold it or a DELETED event arrives.
using ObjectObserver = std::function<void(std::optional<boost::json::object> const&)>;

boost::asio::awaitable<void> follow_object(Client& client, FollowedObject followed, ObjectObserver on_change);

}  // namespace gic::kube
