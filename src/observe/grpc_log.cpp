#include "observe/grpc_log.hpp"

#include <grpc/support/log.h>

namespace gic::observe {
namespace {

void forward(gpr_log_func_args* args) {
    // Called on gRPC's threads; log() is safe to call from any thread.
    log(Level::debug, "grpc", args->message, {{"source", std::string(args->file) + ":" + std::to_string(args->line)}});
}

}  // namespace

void route_grpc_logs(Level level) {
    gpr_set_log_verbosity(level == Level::debug ? GPR_LOG_SEVERITY_DEBUG : GPR_LOG_SEVERITY_ERROR);
    gpr_set_log_function(forward);
}

}  // namespace gic::observe
