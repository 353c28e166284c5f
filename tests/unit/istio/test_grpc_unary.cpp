// The gRPC callback API → Asio bridge alone (util/grpc_unary.hpp), against an insecure in-process
// server of the only service we have, and against stubs that complete inline or on a foreign thread.

#include "util/grpc_unary.hpp"

#include "fake_ca_server.hpp"
#include "run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <future>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using gic::test::CaRequest;
using gic::test::CaResponse;
using gic::test::FakeCaServer;
using Stub = ::istio::v1::auth::IstioCertificateService::Stub;

namespace {

struct InsecureFixture {
    FakeCaServer server;
    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    std::unique_ptr<Stub> stub = ::istio::v1::auth::IstioCertificateService::NewStub(channel);
    asio::io_context io;

    CaRequest request(std::string csr = "csr") const {
        CaRequest r;
        r.set_csr(std::move(csr));
        return r;
    }
    gic::util::UnaryCallOptions options(std::chrono::milliseconds timeout = 10s) const {
        gic::util::UnaryCallOptions o;
        o.timeout = timeout;
        return o;
    }
};

using CallResult = std::tuple<grpc::Status, CaResponse>;

// A stub whose "RPC" completes inside the initiating call, as gRPC does when serialisation fails.
struct InlineStub {
    void Call(grpc::ClientContext*, CaRequest const*, CaResponse* response, std::function<void(grpc::Status)> done) {
        response->add_cert_chain("inline");
        done(grpc::Status(grpc::StatusCode::INTERNAL, "failed inline"));
    }
};

// A stub whose "RPC" completes on a thread of its own, as gRPC's callback threads do.
struct ForeignThreadStub {
    std::thread worker;
    std::thread::id worker_id;
    void Call(grpc::ClientContext*, CaRequest const*, CaResponse* response, std::function<void(grpc::Status)> done) {
        worker = std::thread([this, response, done = std::move(done)] {
            worker_id = std::this_thread::get_id();
            response->add_cert_chain("from another thread");
            done(grpc::Status::OK);
        });
    }
    ~ForeignThreadStub() {
        if (worker.joinable()) worker.join();
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(grpc_unary)

BOOST_FIXTURE_TEST_CASE(success_returns_response_and_sends_metadata_and_deadline, InsecureFixture) {
    std::atomic<long long> deadline_ms_from_now{-1};
    server.set_handler([&](grpc::ServerContext& ctx, CaRequest const& req, CaResponse& resp) {
        deadline_ms_from_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   ctx.deadline() - std::chrono::system_clock::now())
                                   .count();
        resp.add_cert_chain("echo:" + req.csr());
        return grpc::Status::OK;
    });
    auto opts = options(20s);
    opts.metadata = {{"x-first", "one"}, {"x-second", ""}};
    auto [status, response] = gic::test::run_coro(
        io, gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate,
                                   request("hello"), opts, asio::use_awaitable));
    BOOST_TEST(status.ok(), status.error_message());
    BOOST_REQUIRE_EQUAL(response.cert_chain_size(), 1);
    BOOST_TEST(response.cert_chain(0) == "echo:hello");
    auto seen = server.seen();
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    BOOST_TEST(seen[0].metadata.count("x-first") == 1u);
    BOOST_TEST(seen[0].metadata.find("x-first")->second == "one");
    BOOST_TEST(seen[0].metadata.count("x-second") == 1u);
    // The deadline reached the server: set, and about the 20 s we asked for. gRPC sends it as a
    // relative grpc-timeout, rounded up to its coarser unit and re-anchored at the server's arrival
    // time, so the server may see a little more than 20 s (20098 ms was seen on a loaded machine).
    BOOST_TEST(deadline_ms_from_now.load() > 0);
    BOOST_TEST(deadline_ms_from_now.load() <= 21'000);
}

BOOST_FIXTURE_TEST_CASE(error_status_is_a_value_with_as_tuple_too, InsecureFixture) {
    server.set_handler([](grpc::ServerContext&, CaRequest const&, CaResponse&) {
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "go away");
    });
    auto task = [&]() -> asio::awaitable<CallResult> {
        auto [status, response] =
            co_await gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate,
                                            request(), options(), asio::as_tuple(asio::use_awaitable));
        co_return CallResult{status, response};
    };
    auto [status, response] = gic::test::run_coro(io, task());
    BOOST_TEST(static_cast<int>(status.error_code()) == static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
    BOOST_TEST(status.error_message() == "go away");
}

BOOST_FIXTURE_TEST_CASE(run_does_not_return_while_the_call_is_in_flight, InsecureFixture) {
    // A plain callback: nothing but the bridge's work guard keeps run() going while the server
    // takes its time (co_spawn would add a guard of its own and hide a missing one).
    server.set_handler([](grpc::ServerContext&, CaRequest const&, CaResponse& resp) {
        std::this_thread::sleep_for(300ms);
        resp.add_cert_chain("late");
        return grpc::Status::OK;
    });
    std::optional<CallResult> result;
    gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate, request(), options(),
                           [&](grpc::Status status, CaResponse response) {
                               result.emplace(std::move(status), std::move(response));
                           });
    io.run();  // returns only when out of work
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(std::get<0>(*result).ok());
    BOOST_TEST(std::get<1>(*result).cert_chain(0) == "late");
    BOOST_TEST(io.stopped());  // and it did return once the call completed
}

BOOST_FIXTURE_TEST_CASE(completion_resumes_on_the_io_context_thread, InsecureFixture) {
    server.set_handler(gic::test::answer_with({"a"}));
    auto task = [&]() -> asio::awaitable<std::thread::id> {
        co_await gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate, request(),
                                        options(), asio::use_awaitable);
        co_return std::this_thread::get_id();
    };
    BOOST_TEST((gic::test::run_coro(io, task()) == std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(inline_completion_is_posted_not_run_inside_the_initiation) {
    asio::io_context io;
    InlineStub stub;
    bool invoked = false;
    gic::util::UnaryCallOptions opts;
    gic::util::async_unary(io.get_executor(), &stub, &InlineStub::Call, CaRequest{}, opts,
                           [&](grpc::Status status, CaResponse response) {
                               invoked = true;
                               BOOST_TEST(status.error_message() == "failed inline");
                               BOOST_TEST(response.cert_chain(0) == "inline");
                           });
    BOOST_TEST(!invoked);  // gRPC already "completed", but the handler waits for the io_context
    io.run();
    BOOST_TEST(invoked);
}

BOOST_AUTO_TEST_CASE(foreign_thread_completion_runs_the_handler_on_the_io_thread) {
    asio::io_context io;
    ForeignThreadStub stub;
    std::thread::id handler_thread;
    gic::util::UnaryCallOptions opts;
    gic::util::async_unary(io.get_executor(), &stub, &ForeignThreadStub::Call, CaRequest{}, opts,
                           [&](grpc::Status status, CaResponse response) {
                               handler_thread = std::this_thread::get_id();
                               BOOST_TEST(status.ok());
                               BOOST_TEST(response.cert_chain(0) == "from another thread");
                           });
    io.run();
    stub.worker.join();
    BOOST_TEST((handler_thread == std::this_thread::get_id()));
    BOOST_TEST((handler_thread != stub.worker_id));
}

BOOST_FIXTURE_TEST_CASE(keep_alive_is_held_until_completion_then_released, InsecureFixture) {
    auto owner = std::make_shared<int>(42);
    std::weak_ptr<int> watch = owner;
    std::atomic<bool> alive_during_call{false};
    server.set_handler([&](grpc::ServerContext&, CaRequest const&, CaResponse& resp) {
        alive_during_call = !watch.expired();
        resp.add_cert_chain("x");
        return grpc::Status::OK;
    });
    auto opts = options();
    opts.keep_alive = std::move(owner);  // the bridge holds the only reference now
    auto [status, response] = gic::test::run_coro(
        io, gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate, request(),
                                   std::move(opts), asio::use_awaitable));
    BOOST_TEST(status.ok());
    BOOST_TEST(alive_during_call.load());
    BOOST_TEST(watch.expired());
}

BOOST_FIXTURE_TEST_CASE(deadline_exceeded_when_the_server_is_slower_than_the_timeout, InsecureFixture) {
    gic::test::CancelWatcher cancel_watch;
    server.set_handler(cancel_watch.handler());
    auto [status, response] = gic::test::run_coro(
        io, gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate, request(),
                                   options(300ms), asio::use_awaitable));
    BOOST_TEST(static_cast<int>(status.error_code()) == static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
    BOOST_TEST(cancel_watch.saw_cancel());
}

BOOST_FIXTURE_TEST_CASE(cancellation_signal_cancels_the_rpc_with_one_completion, InsecureFixture) {
    asio::cancellation_signal cancel;
    gic::test::CancelWatcher cancel_watch;
    server.set_handler(cancel_watch.handler([&] {
        // The request is at the server: now cancel from the io thread.
        asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
    }));
    int completions = 0;
    grpc::Status final_status;
    gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate, request(),
                           options(20s),
                           asio::bind_cancellation_slot(cancel.slot(), [&](grpc::Status status, CaResponse) {
                               ++completions;
                               final_status = std::move(status);
                           }));
    BOOST_TEST(cancel.slot().has_handler());  // the bridge listens while the call is in flight
    io.run();
    BOOST_TEST(completions == 1);
    BOOST_TEST(static_cast<int>(final_status.error_code()) == static_cast<int>(grpc::StatusCode::CANCELLED));
    BOOST_TEST(!cancel.slot().has_handler());  // cleared before the handler ran
    BOOST_TEST(cancel_watch.saw_cancel());
}

BOOST_FIXTURE_TEST_CASE(slot_is_cleared_after_a_normal_completion, InsecureFixture) {
    server.set_handler(gic::test::answer_with({"a", "b"}));
    asio::cancellation_signal cancel;
    bool done = false;
    gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate, request(), options(),
                           asio::bind_cancellation_slot(cancel.slot(), [&](grpc::Status status, CaResponse) {
                               done = status.ok();
                           }));
    io.run();
    BOOST_TEST(done);
    BOOST_TEST(!cancel.slot().has_handler());
    cancel.emit(asio::cancellation_type::terminal);  // late emits reach nothing
}

BOOST_FIXTURE_TEST_CASE(losing_an_or_race_against_a_timer_cancels_the_rpc, InsecureFixture) {
    using namespace asio::experimental::awaitable_operators;
    gic::test::CancelWatcher cancel_watch;
    server.set_handler(cancel_watch.handler());
    std::optional<grpc::StatusCode> rpc_code;
    auto rpc = [&]() -> asio::awaitable<void> {
        auto [status, response] =
            co_await gic::util::async_unary(io.get_executor(), stub->async(), &Stub::async::CreateCertificate,
                                            request(), options(20s), asio::use_awaitable);
        rpc_code = status.error_code();
    };
    auto race = [&]() -> asio::awaitable<std::size_t> {
        asio::steady_timer timer(io, 200ms);
        auto winner = co_await (rpc() || timer.async_wait(asio::use_awaitable));
        co_return winner.index();
    };
    BOOST_TEST(gic::test::run_coro(io, race()) == 1u);  // the timer won
    BOOST_REQUIRE(rpc_code.has_value());                 // the loser still completed, once
    BOOST_TEST(static_cast<int>(*rpc_code) == static_cast<int>(grpc::StatusCode::CANCELLED));
    BOOST_TEST(cancel_watch.saw_cancel());
}

BOOST_AUTO_TEST_SUITE_END()
