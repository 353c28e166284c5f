#include "admin_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace gic::emu::istiod {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

AdminServer::Reply json_reply(unsigned status, json::object body) { return {status, json::serialize(body)}; }

AdminServer::Reply error_reply(unsigned status, std::string const& message) {
    return json_reply(status, json::object{{"error", message}});
}

json::object roots_json(CaSnapshot const& s) {
    json::array roots;
    for (auto const& fp : s.root_fingerprints()) roots.emplace_back(fp);
    return json::object{{"roots", std::move(roots)},
                        {"signingRoot", s.active->root.cert().fingerprint_sha256()},
                        {"signer", s.active->signer().cert().fingerprint_sha256()}};
}

}  // namespace

AdminServer::AdminServer(asio::io_context& io, tcp::endpoint endpoint, AdminHooks hooks)
    : acceptor_(io, endpoint), hooks_(std::move(hooks)) {}

unsigned short AdminServer::port() const { return acceptor_.local_endpoint().port(); }

void AdminServer::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

asio::awaitable<void> AdminServer::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) continue;
        asio::co_spawn(acceptor_.get_executor(), session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> AdminServer::session(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        auto [rec, rn] = co_await http::async_read(socket, buffer, req, asio::as_tuple(asio::use_awaitable));
        if (rec) break;
        Reply reply;
        try {
            // Named locals: g++ 12 mishandles temporaries inside co_await expressions.
            std::string method(req.method_string()), target(req.target()), body = req.body();
            reply = co_await handle(std::move(method), std::move(target), std::move(body));
        } catch (std::exception const& e) {
            reply = error_reply(500, e.what());
        }
        http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
        res.set(http::field::content_type, "application/json");
        res.body() = std::move(reply.body);
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<AdminServer::Reply> AdminServer::handle(std::string method, std::string target, std::string body) {
    if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
    if (target == "/faults") {
        if (method == "POST") {
            auto fault = parse_fault_json(body);
            if (!fault) co_return error_reply(400, fault.error().message);
            hooks_.faults.add(*fault);
            co_return json_reply(200, json::object{{"queued", hooks_.faults.size()}, {"fault", fault->describe()}});
        }
        if (method == "DELETE") {
            hooks_.faults.clear();
            co_return json_reply(200, json::object{{"queued", 0}});
        }
        co_return error_reply(405, "method " + method + " not allowed on /faults (POST, DELETE)");
    }
    if (target == "/rotate-root") {
        if (method != "POST") co_return error_reply(405, "method " + method + " not allowed on /rotate-root (POST)");
        boost::system::error_code ec;
        json::value v = json::parse(body, ec);
        json::value const* step_value = (!ec && v.is_object()) ? v.as_object().if_contains("step") : nullptr;
        if (!step_value || !step_value->is_string())
            co_return error_reply(400, "rotate-root body must be {\"step\": \"add\" | \"switch\" | \"drop-old\"}");
        auto step = parse_rotation_step(step_value->as_string());
        if (!step)
            co_return error_reply(400, "rotate-root: unknown step \"" + std::string(step_value->as_string()) +
                                           "\" (expected add, switch or drop-old)");
        if (auto r = hooks_.ca.rotate(*step); !r) co_return error_reply(409, r.error().message);
        co_await hooks_.root_changed(*step);
        auto out = roots_json(*hooks_.ca.snapshot());
        out["step"] = step_value->as_string();
        co_return json_reply(200, std::move(out));
    }
    if (target == "/roots") {
        if (method != "GET") co_return error_reply(405, "method " + method + " not allowed on /roots (GET)");
        co_return json_reply(200, roots_json(*hooks_.ca.snapshot()));
    }
    if (target == "/requests") {
        if (method == "GET") co_return json_reply(200, json::object{{"requests", hooks_.requests.to_json()}});
        if (method == "DELETE") {
            hooks_.requests.clear();
            co_return json_reply(200, json::object{});
        }
        co_return error_reply(405, "method " + method + " not allowed on /requests (GET, DELETE)");
    }
    co_return error_reply(404, "no admin endpoint " + target + " (/faults, /rotate-root, /roots, /requests)");
}

}  // namespace gic::emu::istiod
