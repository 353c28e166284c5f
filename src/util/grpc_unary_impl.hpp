#pragma once
// Implementation of gic::util::async_unary (declared in util/grpc_unary.hpp). Include that header.
//
// Threads: the initiation runs on the caller's thread (the io_context); gRPC runs the completion
// callback on one of its own threads, and that callback only posts. Everything that touches the
// handler or the cancellation slot runs on the handler's executor.
//
// Lifetime: the shared state is owned by gRPC's callback (until it fires) and then by the posted
// completion; the callback *moves* its reference into the post, so the state (and with it
// `options.keep_alive`, e.g. the channel) is released on the handler's executor, never on a gRPC
// thread. The work guard keeps io_context::run() from returning while only gRPC holds the call.
// Do not stop() and destroy the io_context while calls are in flight: cancel them and let run()
// drain (the guard guarantees it does).

#include "util/grpc_unary.hpp"

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/cancellation_type.hpp>

namespace gic::util::detail {

template <class Request, class Response, class Handler>
struct UnaryCallState {
    using HandlerExecutor = boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;

    UnaryCallState(Handler&& h, HandlerExecutor ex, Request req, std::shared_ptr<void const> keep)
        : request(std::move(req)),
          handler(std::move(h)),
          work(std::move(ex)),
          keep_alive(std::move(keep)) {}

    grpc::ClientContext context;  // must outlive the RPC; one per call (never reused)
    Request request;
    Response response;
    Handler handler;
    boost::asio::executor_work_guard<HandlerExecutor> work;
    std::shared_ptr<void const> keep_alive;  // e.g. the stub and channel the call runs on
};

// Runs on the handler's executor: the one and only completion of the operation.
template <class State>
void complete_unary(std::shared_ptr<State> state, grpc::Status status) {
    // The slot belongs to the awaiting operation; once it completes the slot may be reused.
    auto slot = boost::asio::get_associated_cancellation_slot(state->handler);
    if (slot.is_connected()) slot.clear();
    auto handler = std::move(state->handler);
    auto response = std::move(state->response);
    state->work.reset();
    // Release the context, channel and stub before resuming the caller, which may tear them down.
    state.reset();
    std::move(handler)(std::move(status), std::move(response));
}

template <class AsyncStub, class Request, class Response>
struct InitiateUnary {
    boost::asio::any_io_executor io_executor;

    template <class Handler>
    void operator()(Handler&& handler, AsyncStub* stub, UnaryMethod<AsyncStub, Request, Response> method,
                    Request request, UnaryCallOptions options) const {
        using DecayedHandler = std::decay_t<Handler>;
        using State = UnaryCallState<Request, Response, DecayedHandler>;

        auto handler_executor = boost::asio::get_associated_executor(handler, io_executor);
        auto state = std::make_shared<State>(std::forward<Handler>(handler), std::move(handler_executor),
                                             std::move(request), std::move(options.keep_alive));

        state->context.set_deadline(std::chrono::system_clock::now() + options.timeout);
        for (auto const& [key, value] : options.metadata) state->context.AddMetadata(key, value);

        auto slot = boost::asio::get_associated_cancellation_slot(state->handler);
        if (slot.is_connected()) {
            // A weak reference: the slot must not keep the call alive, and after completion the
            // slot is cleared anyway. TryCancel is thread-safe and idempotent; gRPC then runs our
            // callback with CANCELLED, so cancellation never adds a second completion path.
            slot.assign([weak = std::weak_ptr<State>(state)](boost::asio::cancellation_type type) {
                if (type == boost::asio::cancellation_type::none) return;
                if (auto s = weak.lock()) s->context.TryCancel();
            });
        }

        // gRPC needs a copyable std::function; it captures only the shared state. The callback
        // may run inline (gRPC completes at once when serialisation fails), so it always posts.
        auto* context = &state->context;
        auto const* request_ptr = &state->request;
        auto* response_ptr = &state->response;
        (stub->*method)(context, request_ptr, response_ptr, [state = std::move(state)](grpc::Status status) mutable {
            auto owned = std::move(state);  // nothing of ours stays on the gRPC thread
            auto executor = owned->work.get_executor();
            boost::asio::post(executor, [owned = std::move(owned), status = std::move(status)]() mutable {
                complete_unary(std::move(owned), std::move(status));
            });
        });
    }
};

}  // namespace gic::util::detail

namespace gic::util {

template <class AsyncStub, class Request, class Response, class Token>
auto async_unary(boost::asio::any_io_executor io_executor, AsyncStub* stub, UnaryMethod<AsyncStub, Request, Response> method,
                 Request request, UnaryCallOptions options, Token&& token) {
    return boost::asio::async_initiate<Token, void(grpc::Status, Response)>(
        detail::InitiateUnary<AsyncStub, Request, Response>{std::move(io_executor)}, token, stub, method,
        std::move(request), std::move(options));
}

}  // namespace gic::util
