#include "common/connect_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <mutex>
#include <sstream>
#include <thread>

namespace gic::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::use_awaitable;

struct ConnectProxy::Impl {
    unsigned refuse_status = 0;
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    mutable std::mutex mutex;
    std::vector<std::string> targets;
    std::vector<std::string> authorizations;
    std::thread thread;

    static asio::awaitable<void> relay(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
        std::array<char, 16384> buffer{};
        for (;;) {
            auto [read_ec, n] = co_await from->async_read_some(asio::buffer(buffer), as_tuple(use_awaitable));
            if (read_ec) break;
            auto [write_ec, m] = co_await asio::async_write(*to, asio::buffer(buffer.data(), n), as_tuple(use_awaitable));
            (void)m;
            if (write_ec) break;
        }
        boost::system::error_code ignored;
        to->shutdown(tcp::socket::shutdown_send, ignored);
    }

    asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
        asio::streambuf head(16384);
        auto [ec, n] = co_await asio::async_read_until(*client, head, "\r\n\r\n", as_tuple(use_awaitable));
        if (ec) co_return;
        std::istream in(&head);
        std::string method, target, version, line, authorization;
        in >> method >> target >> version;
        std::getline(in, line);
        while (std::getline(in, line) && line != "\r") {
            if (line.rfind("Proxy-Authorization: ", 0) == 0) authorization = line.substr(21, line.size() - 22);
        }
        {
            std::lock_guard lock(mutex);
            targets.push_back(target);
            if (!authorization.empty()) authorizations.push_back(authorization);
        }
        auto answer = [&](std::string text) -> asio::awaitable<void> {
            co_await asio::async_write(*client, asio::buffer(text), as_tuple(use_awaitable));
        };
        if (method != "CONNECT" || refuse_status != 0) {
            unsigned const status = method != "CONNECT" ? 405 : refuse_status;
            co_await answer("HTTP/1.1 " + std::to_string(status) + " Refused\r\nContent-Length: 0\r\n\r\n");
            co_return;
        }
        auto const colon = target.rfind(':');
        auto upstream = std::make_shared<tcp::socket>(io);
        tcp::resolver resolver(io);
        auto [resolve_ec, endpoints] = co_await resolver.async_resolve(target.substr(0, colon), target.substr(colon + 1),
                                                                       as_tuple(use_awaitable));
        if (resolve_ec) {
            co_await answer("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            co_return;
        }
        auto [connect_ec, endpoint] = co_await asio::async_connect(*upstream, endpoints, as_tuple(use_awaitable));
        (void)endpoint;
        if (connect_ec) {
            co_await answer("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            co_return;
        }
        co_await answer("HTTP/1.1 200 Connection established\r\n\r\n");
        asio::co_spawn(io, relay(client, upstream), asio::detached);
        asio::co_spawn(io, relay(upstream, client), asio::detached);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(as_tuple(use_awaitable));
            if (ec) co_return;
            asio::co_spawn(io, serve(std::make_shared<tcp::socket>(std::move(socket))), asio::detached);
        }
    }
};

ConnectProxy::ConnectProxy(unsigned refuse_status) : impl_(std::make_unique<Impl>()) {
    impl_->refuse_status = refuse_status;
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

ConnectProxy::~ConnectProxy() {
    impl_->io.stop();
    impl_->thread.join();
}

unsigned short ConnectProxy::port() const { return impl_->acceptor.local_endpoint().port(); }

std::vector<std::string> ConnectProxy::targets() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->targets;
}

std::vector<std::string> ConnectProxy::authorizations() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->authorizations;
}

}  // namespace gic::test
