#include "common/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace gic::test {

HttpReply http_request(std::string const& method, std::string const& url, std::string const& body) {
    namespace http = boost::beast::http;
    std::string const prefix = "http://";
    if (url.rfind(prefix, 0) != 0) throw std::invalid_argument("not an http URL: " + url);
    auto rest = url.substr(prefix.size());
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    auto target = slash == std::string::npos ? std::string("/") : rest.substr(slash);
    auto colon = authority.rfind(':');
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    boost::asio::ip::tcp::socket socket(io);
    boost::asio::connect(socket, resolver.resolve(authority.substr(0, colon), authority.substr(colon + 1)));
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, authority);
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    boost::system::error_code ec;
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    return HttpReply{static_cast<int>(res.result_int()), res.body()};
}

}  // namespace gic::test
