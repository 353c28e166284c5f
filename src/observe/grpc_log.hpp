#pragma once
// gRPC writes its own diagnostics (handshake failures, reconnects) to stderr. They are details of
// failures the agent already reports in one line, so they go through our logger at debug level.

#include "observe/log.hpp"

namespace gic::observe {

void route_grpc_logs(Level level);

}  // namespace gic::observe
