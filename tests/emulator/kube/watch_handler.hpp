#pragma once
// GET <collection>?watch=1: a chunked stream of {"type","object"} lines (kubernetes-api.md
// section 5, kubectl-surface.md sections 1 and 3.11/3.15).
//   resourceVersion unset or "0": synthetic ADDED for the current objects, then changes;
//   any other value: only changes after it, or one ERROR event (410 Expired) when the history
//   no longer reaches back that far;
//   fieldSelector / labelSelector filter; allowWatchBookmarks: BOOKMARK events every
//   bookmark interval and about 2 s before timeoutSeconds, which ends the stream cleanly.

#include "request.hpp"
#include "resources.hpp"
#include "server_context.hpp"

namespace gic::emu::kube {

Reply handle_watch(ServerContext& ctx, ResourceType const& type, RequestInfo const& info);

// A streamed answer that sends nothing after the head until the client leaves (fault
// injection: a watch whose connection went silent).
StreamBody stalled_stream();

}  // namespace gic::emu::kube
