#pragma once
// Bridges one gRPC callback-API unary call into an Asio completion (awaitable or any token).
//
// Ownership: one shared state holds the ClientContext, request, response, the handler and a work
// guard; gRPC's std::function captures only the shared_ptr. Completion is *posted* to the
// handler's executor (gRPC may complete inline when serialisation fails; posting keeps asio's
// no-immediate-completion rule). Cancellation of the handler's slot calls TryCancel(); the
// callback then runs with CANCELLED, so there is exactly one completion path.
//
// Completion signature: void(grpc::Status, Response). With use_awaitable the result is a
// std::tuple<grpc::Status, Response> (also with as_tuple(use_awaitable)); a non-OK status is a
// value, never an exception.
//
// `stub` must stay valid until the completion (pass its owner in options.keep_alive). The
// deadline is now + options.timeout and is sent to the server. The io_context's run() does not
// return while a call is in flight; do not stop() and destroy it with calls pending.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gic::util {

struct UnaryCallOptions {
    std::chrono::milliseconds timeout{30'000};
    std::vector<std::pair<std::string, std::string>> metadata;  // keys must be lower case
    // Held until the call completes (e.g. the stub and channel the call runs on), so that the
    // owner may drop or replace them while calls are in flight.
    std::shared_ptr<void const> keep_alive;
};

template <class AsyncStub, class Request, class Response>
using UnaryMethod = void (AsyncStub::*)(grpc::ClientContext*, Request const*, Response*, std::function<void(grpc::Status)>);

template <class AsyncStub, class Request, class Response, class Token>
auto async_unary(boost::asio::any_io_executor io_executor, AsyncStub* stub, UnaryMethod<AsyncStub, Request, Response> method,
                 Request request, UnaryCallOptions options, Token&& token);

}  // namespace gic::util

#include "util/grpc_unary_impl.hpp"
