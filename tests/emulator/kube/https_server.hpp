#pragma once
// HTTPS/1.1 with keep-alive on one io_context: an accept loop and one coroutine per connection.
// Client certificates are requested but not required; their verification result is passed to
// the pipeline, which turns a bad one into 401 as the API server does.

#include "api_server.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace gic::emu::kube {

struct TlsMaterial {
    pki::Certificate const& server_cert;
    pki::PrivateKey const& server_key;
    pki::Certificate const& server_ca;  // sent as the chain
    pki::Certificate const& client_ca;  // verifies client certificates
};

class HttpsServer {
public:
    // Binds at once (throws on failure) so that the port is known before start().
    HttpsServer(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, TlsMaterial const& tls,
                ApiServer& api);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();

private:
    boost::asio::io_context& io_;
    boost::asio::ssl::context ssl_;
    boost::asio::ip::tcp::acceptor acceptor_;
    ApiServer& api_;
};

}  // namespace gic::emu::kube
