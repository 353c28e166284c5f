#pragma once
// Plain HTTP on loopback for tests (Beast on the emulator's io_context):
//   POST   /faults       {"code","message","count","delayMs","mode"}  queue a fault
//   DELETE /faults                                                   clear the queue
//   POST   /rotate-root  {"step": "add" | "switch" | "drop-old"}
//   GET    /requests     {"requests": [...]} the CreateCertificate calls received
//   DELETE /requests                                                 forget them
// Answers are JSON; errors are {"error": "<one line>"} with 400, 404, 405 or 409.

#include "ca_state.hpp"
#include "faults.hpp"
#include "request_log.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>

namespace gic::emu::istiod {

struct AdminHooks {
    CaState& ca;
    FaultInjector& faults;
    RequestLog& requests;
    // Runs after a successful rotation step (files, serving cert, ConfigMaps); completes when done.
    std::function<boost::asio::awaitable<void>(RotationStep)> root_changed;
};

class AdminServer {
public:
    // Binds at once (throws on failure); serving starts with start().
    AdminServer(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, AdminHooks hooks);
    unsigned short port() const;
    void start();

    struct Reply {
        unsigned status = 200;
        std::string body;  // JSON
    };
    // The routing, separate from the transport.
    boost::asio::awaitable<Reply> handle(std::string method, std::string target, std::string body);

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

    boost::asio::ip::tcp::acceptor acceptor_;
    AdminHooks hooks_;
};

}  // namespace gic::emu::istiod
