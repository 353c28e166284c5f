#include "observe/http_server.hpp"

#include "observe/connection_slots.hpp"
#include "observe/http_request_limits.hpp"
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
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <map>
#include <optional>

namespace gic::observe {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Shared {
    std::map<std::string, HttpHandler, std::less<>> routes;
    ConnectionSlots slots{RequestLimits::max_connections};
    std::map<ConnectionSlots::Id, beast::tcp_stream*> streams;
    bool closed = false;

    // Ends one connection now: its pending read fails and its coroutine returns.
    void close(ConnectionSlots::Id id) {
        slots.release(id);
        auto it = streams.find(id);
        if (it == streams.end()) return;
        boost::system::error_code ignored;
        it->second->socket().close(ignored);
        streams.erase(it);
    }

    void close_all() {
        closed = true;
        while (!streams.empty()) close(streams.begin()->first);
    }

    http::response<http::string_body> answer(ProbeRequestParser const& req) const {
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

// The answer to a request that broke a limit or the protocol (the connection closes after it); none
// when the client went away or ran out of time.
std::optional<http::response<http::string_body>> refusal(boost::system::error_code const& ec) {
    unsigned status = 0;
    char const* text = nullptr;
    if (ec == http::error::header_limit) {
        status = 431;
        text = "request header too large\n";
    } else if (ec == http::error::body_limit) {
        status = 413;
        text = "request too large (GET and HEAD take no body)\n";
    } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
        status = 400;
        text = "bad request\n";
    } else {
        return std::nullopt;
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::server, "gen-istio-cert");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(false);
    res.body() = text;
    res.prepare_payload();
    return res;
}

// Reads one request into `parser` within the limits (the caller set the deadline on `stream`).
asio::awaitable<boost::system::error_code> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                        ProbeRequestParser& parser) {
    std::size_t parsed = 0;
    for (;;) {
        auto const ec = parse_request_some(parser, buffer, parsed);
        if (ec != http::error::need_more) co_return ec;
        // parse_request_some leaves room: a full buffer is a broken limit.
        auto const room = buffer.max_size() - buffer.size();
        auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(room), asio::as_tuple(asio::use_awaitable));
        if (read_ec) co_return read_ec;
        buffer.commit(n);
    }
}

// Waits for the first byte of the next request (the connection is idle meanwhile).
asio::awaitable<boost::system::error_code> await_request(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
    stream.expires_after(RequestLimits::idle_timeout);
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(buffer.max_size()), asio::as_tuple(asio::use_awaitable));
    if (!ec) buffer.commit(n);
    co_return ec;
}

asio::awaitable<void> session(std::shared_ptr<HttpServer::Shared> shared, ConnectionSlots::Id id, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    struct Unregister {
        HttpServer::Shared& s;
        ConnectionSlots::Id id;
        ~Unregister() {
            s.streams.erase(id);
            s.slots.release(id);
        }
    } const unregister{*shared, id};
    // Evicted or stopped before this coroutine first ran.
    if (shared->closed || !shared->slots.holds(id)) co_return;
    shared->streams.emplace(id, &stream);

    auto buffer = make_request_buffer();
    for (;;) {
        if (buffer.size() == 0) {
            shared->slots.set_idle(id, true);
            auto const ec = co_await await_request(stream, buffer);
            if (ec || shared->closed) break;
            shared->slots.set_idle(id, false);
        }
        // One deadline for the whole request and its answer, not one per read.
        stream.expires_after(RequestLimits::request_timeout);
        ProbeRequestParser parser;
        limit_request_parser(parser);
        auto const read_ec = co_await read_request(stream, buffer, parser);
        if (shared->closed) break;
        if (read_ec) {
            if (auto res = refusal(read_ec))
                co_await http::async_write(stream, *res, asio::as_tuple(asio::use_awaitable));
            break;
        }
        auto res = shared->answer(parser);
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
        auto const admission = shared_->slots.admit();
        if (admission.evicted) shared_->close(*admission.evicted);
        if (!admission.admitted) {
            // Every slot is busy with a request: refuse rather than queue (a kubelet probe retries).
            boost::system::error_code ignored;
            socket.close(ignored);
            log_debug("http", "connection refused: every slot is busy",
                      {{"connections", std::to_string(shared_->slots.size())}});
            continue;
        }
        util::set_close_on_exec(socket.native_handle());
        auto op = session(shared_, *admission.admitted, std::move(socket));
        asio::co_spawn(executor, std::move(op), asio::detached);
    }
}

}  // namespace gic::observe
