#pragma once
// LIST and WATCH of one collection, as client-go's reflector uses them (kubernetes-api.md
// section 5). A watch has a dedicated TLS connection (never the request/response one), sends
// `watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=N` (plus fieldSelector), and
// reads the chunked stream incrementally (events may be split across chunks; one JSON object per
// line, each line capped in size). A read deadline of timeoutSeconds + `idle_grace` with no bytes
// ends the stream with an error, so a half-open connection cannot hang the caller.
//
// Per-Operation Cancellation: next() supports terminal cancellation; the connection is closed.
// Thread Safety: io_context thread only.

#include "kube/api.hpp"
#include "kube/api_error.hpp"
#include "kube/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace gic::kube {


// The collection's list: the JSON List object (items, metadata.resourceVersion).
boost::asio::awaitable<ApiResult<boost::json::object>> list(Client& client, ResourceRef const& collection,
                                                             ListOptions const& options);

// Opens a watch on `collection` (ref.name empty). The error covers the request itself (status,
// connection); events come from the returned stream. The stream must have ended by
// timeout_seconds + idle_grace after it was opened (the server ends it at timeout_seconds); a
// stream that is still open then (a stalled or half-open connection) fails with an ApiError
// (code 0) and its connection is closed. Watches are not rate limited (client-go's rule); each
// reports once to ClientOptions::observer when its response head arrives.
boost::asio::awaitable<ApiResult<std::unique_ptr<WatchStream>>> watch(Client& client, ResourceRef const& collection,
                                                                      WatchOptions const& options);

}  // namespace gic::kube
