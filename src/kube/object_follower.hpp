#pragma once
// Follows one named object with LIST+WATCH, as client-go's reflector does for a single-object
// informer (kubernetes-api.md section 5): list with a field selector on the name, watch from the
// list's resourceVersion with bookmarks and a randomised timeoutSeconds (5 to 10 min, like
// client-go), re-watch from the last version seen when the server ends the stream, relist at once
// on 410 (version too old) and with backoff (800 ms doubling to 30 s) after other failures. A
// stalled connection cannot hang it (the watch's read deadline), nor can a list or watch request
// that is never answered (abandoned after a minute).
//
// Between re-watches the follower makes no request: a followed object costs one open watch.
//
// Its waits and the "ended at once" check run on the injected clock, and its random choices
// (timeoutSeconds, backoff jitter) come from `seed`, so a run in virtual time replays exactly.
//
// Per-Operation Cancellation: runs until cancelled (then throws operation_aborted).
// Thread Safety: io_context thread only.

#include "kube/api.hpp"
#include "util/clock.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
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

boost::asio::awaitable<void> follow_object(Api& api, util::Clock& clock, std::uint64_t seed, FollowedObject followed,
                                           ObjectObserver on_change);

}  // namespace gic::kube
