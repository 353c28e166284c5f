#include "https_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cctype>
#include <stdexcept>

namespace gic::emu::kube::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;

json::object HttpResult::json() const {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) throw std::runtime_error("response is not a JSON object: " + body);
    return v.as_object();
}

std::string HttpResult::header(std::string const& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

ApiClient::ApiClient(int port, std::string ca_pem, std::optional<ClientIdentity> identity, std::string bearer_token)
    : port_(port), ca_pem_(std::move(ca_pem)), identity_(std::move(identity)), token_(std::move(bearer_token)) {}

HttpResult ApiClient::request(std::string const& method, std::string const& target, std::string const& body,
                              std::string const& content_type, std::map<std::string, std::string> const& headers) const {
    HttpResult result;
    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(ca_pem_));
    ctx.set_verify_mode(ssl::verify_peer);
    if (identity_) {
        ctx.use_certificate(asio::buffer(identity_->cert_pem), ssl::context::pem);
        ctx.use_private_key(asio::buffer(identity_->key_pem), ssl::context::pem);
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(stream).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)), ec);
    if (!ec) stream.handshake(ssl::stream_base::client, ec);
    if (ec) {
        result.error = "connect/handshake: " + ec.message();
        return result;
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    req.set(http::field::accept, "application/json");
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    for (auto const& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        req.set(http::field::content_type, content_type);
        req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req, ec);
    if (ec) {
        result.error = "write: " + ec.message();
        return result;
    }
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res, ec);
    if (ec) {
        result.error = "read: " + ec.message();
        return result;
    }
    result.status = res.result_int();
    result.body = res.body();
    for (auto const& field : res) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        result.headers[name] = std::string(field.value());
    }
    stream.shutdown(ec);
    return result;
}

}  // namespace gic::emu::kube::test
