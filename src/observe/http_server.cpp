#include "observe/http_server.hpp"

#include "observe/log.hpp"
#include "util/close_on_exec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <map>

namespace gic::observe {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Shared {
    std::map<std::string, HttpHandler, std::less<>> routes;
    std::map<std::uint64_t, beast::tcp_stream*> sessions;
    std::uint64_t next_session = 0;
    bool closed = false;

    void close_all() {
        closed = true;
        for (auto& [id, stream] : sessions) {
            boost::system::error_code ignored;
            stream->socket().close(ignored);
        }
    }

    http::response<http::string_body> answer(http::request<http::string_body> const& req) const {
        auto make = [&](unsigned status, std::string content_type, std::string body) {
            http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
            res.set(http::field::server, "gen-istio-cert");
            res.set(http::field::content_type, content_type);
            res.set(http::field::cache_control, "no-store");
            res.keep_alive(req.keep_alive());
            res.body() = std::move(body);
            res.prepare_payload();
            if (req.method() == http::verb::head) res.body().clear();  // Content-Length stays the GET length
            return res;
        };
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            auto res = make(405, "text/plain; charset=utf-8", "method not allowed\n");
            res.set(http::field::allow, "GET, HEAD");
            return res;
        }
        std::string_view target = req.target();
        auto path = target.substr(0, target.find('?'));
        auto it = routes.find(path);
        if (it == routes.end()) return make(404, "text/plain; charset=utf-8", "not found\n");
        auto reply = it->second();
        return make(reply.status, std::move(reply.content_type), std::move(reply.body));
    }
};

namespace {

constexpr std::chrono::seconds idle_timeout{30};

asio::awaitable<void> session(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto const id = shared->next_session++;
    shared->sessions.emplace(id, &stream);
    struct Unregister {
        HttpServer::Shared& s;
        std::uint64_t id;
        ~Unregister() { s.sessions.erase(id); }
    } const unregister{*shared, id};

    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(4 * 1024);
        stream.expires_after(idle_timeout);
        auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (read_ec || shared->closed) break;
        auto res = shared->answer(parser.get());
        auto [write_ec, write_n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (write_ec || !res.keep_alive() || shared->closed) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

std::string endpoint_text(tcp::endpoint const& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

}  // namespace

Result<std::vector<tcp::endpoint>> parse_bind_address(std::string_view address, std::string_view flag) {
    auto fail = [&](std::string const& why) {
        return make_error(std::string(flag) + ": invalid address '" + std::string(address) + "'", why);
    };
    auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return fail("expected [host]:port, e.g. :8080 (or 0 to disable)");
    auto host = address.substr(0, colon);
    auto port_text = address.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
        return fail("the port must be a number from 0 to 65535");
    auto const p = static_cast<unsigned short>(port);
    if (host.empty()) return std::vector<tcp::endpoint>{{asio::ip::address_v6::any(), p}, {asio::ip::address_v4::any(), p}};
    if (host == "localhost") return std::vector<tcp::endpoint>{{asio::ip::address_v4::loopback(), p}};
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string_view::npos) return fail("an IPv6 address must be in brackets, e.g. [::1]:8080");
    boost::system::error_code aec;
    auto ip = asio::ip::make_address(std::string(host), aec);
    if (aec) return fail("the host must be an IP address, localhost, or empty for every interface");
    return std::vector<tcp::endpoint>{{ip, p}};
}

HttpServer::HttpServer(asio::any_io_executor executor, std::string_view address, std::string_view flag)
    : shared_(std::make_shared<Shared>()) {
    auto endpoints = parse_bind_address(address, flag);
    if (!endpoints) throw ConfigError(endpoints.error().message);
    std::string last_error;
    for (auto const& ep : *endpoints) {
        auto acceptor = std::make_unique<tcp::acceptor>(executor);
        boost::system::error_code ec;
        acceptor->open(ep.protocol(), ec);
        if (!ec) util::set_close_on_exec(acceptor->native_handle());
        if (!ec && ep.protocol() == tcp::v6() && ep.address().is_unspecified())
            acceptor->set_option(asio::ip::v6_only(false), ec);  // ":port" serves IPv4 too
        if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor->bind(ep, ec);
        if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (!ec) {
            acceptor_ = std::move(acceptor);
            return;
        }
        last_error = std::string(flag) + ": cannot listen on " + endpoint_text(ep) + ": " + ec.message();
    }
    throw ConfigError(last_error);
}

HttpServer::~HttpServer() { shared_->close_all(); }

void HttpServer::route(std::string path, HttpHandler handler) { shared_->routes[std::move(path)] = std::move(handler); }

tcp::endpoint HttpServer::local_endpoint() const { return acceptor_->local_endpoint(); }

asio::awaitable<void> HttpServer::serve() {
    auto executor = co_await asio::this_coro::executor;
    for (;;) {
        auto [ec, socket] = co_await acceptor_->async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted) {
            // Cancelled: end the open connections before anything else (no co_await from here on).
            shared_->close_all();
            boost::system::error_code ignored;
            auto const where = "serving " + endpoint_text(acceptor_->local_endpoint(ignored));
            acceptor_->close(ignored);
            throw boost::system::system_error(ec, where);
        }
        if (ec) {
            // Out of descriptors and the like: wait a little instead of spinning.
            log_warning("http", "accepting a connection failed", {{"error", ec.message()}});
            asio::steady_timer pause(executor, std::chrono::milliseconds(200));
            co_await pause.async_wait(asio::use_awaitable);
            continue;
        }
        util::set_close_on_exec(socket.native_handle());
        auto op = session(shared_, std::move(socket));
        asio::co_spawn(executor, std::move(op), asio::detached);
    }
}

}  // namespace gic::observe
