#pragma once
// Follows one named object with LIST+WATCH, as client-go's reflector does for a single-object
// informer (kubernetes-api.md section 5): list with a field selector on the name, watch from the
// list's resourceVersion with bookmarks and a randomised timeoutSeconds (5 to 10 min, like
// client-go), re-watch from the last version seen when the server ends the stream, relist at once
// on 410 (version too old) and with backoff (800 ms doubling to 30 s) after other failures. A
// stalled connection cannot hang it (the watch's read deadline), nor can a list or watch request
// that is never answered (abandoned after a minute).
//
// The observer sees typed objects only: the caller supplies the parse function of its type
// (election::parse_lease, kube::parse_config_map), each object is parsed once, and one that cannot
// be read is logged and skipped (the observer keeps the last one it got).
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
#include "util/error.hpp"

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

// Reads the followed object into its typed view (parse_lease, parse_config_map): the error names
// the field that cannot be read. The object is handed over (a Lease keeps it), never copied.
template <class T>
using ObjectParser = std::function<Result<T>(boost::json::object)>;

// Gets the typed object after every list and every ADDED/MODIFIED event, and nullopt when the
// list does not hold it or a DELETED event arrives.
template <class T>
using ObjectObserver = std::function<void(std::optional<T>)>;

namespace detail {

// The untyped follower under follow_object: the object as the server sent it, handed over.
using RawObserver = std::function<void(std::optional<boost::json::object>)>;
boost::asio::awaitable<void> follow_raw_object(Api& api, util::Clock& clock, std::uint64_t seed,
                                               FollowedObject followed, RawObserver on_change);

// An object the follower cannot read: a warning naming it and the field. It is not handed on, so
// the observer keeps what it had, and the watch goes on from its resourceVersion.
void log_unreadable(FollowedObject const& followed, Error const& error);

}  // namespace detail

// Follows `followed` until cancelled; `on_change` only ever sees typed objects, each parsed once,
// here, by `parse`.
template <class T>
boost::asio::awaitable<void> follow_object(Api& api, util::Clock& clock, std::uint64_t seed, FollowedObject followed,
                                           ObjectParser<T> parse, ObjectObserver<T> on_change) {
    // Refers to this frame's parameters, which live until follow_raw_object returns.
    detail::RawObserver raw = [&](std::optional<boost::json::object> object) {
        if (!object) return on_change(std::nullopt);
        auto typed = parse(std::move(*object));
        if (!typed) return detail::log_unreadable(followed, typed.error());
        on_change(std::optional<T>(std::move(*typed)));
    };
    co_await detail::follow_raw_object(api, clock, seed, followed, std::move(raw));
}

}  // namespace gic::kube
