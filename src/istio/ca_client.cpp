// CaClient: one CreateCertificate call per request, through the gRPC callback API bridged to an
// awaitable (util/grpc_unary.hpp). Decides nothing about retries: it classifies failures.
//
// The channel exists only while calls are in flight. The agent calls the CA once per renewal,
// hours apart; an idle gRPC channel keeps its connection, keepalive timer and backup poller, and
// while any channel exists gRPC keeps its timer, executor, event-engine and callback-queue threads,
// which together woke the idle agent about ten times a second. The client keeps only a weak
// reference: the calls own the channel, the last one to complete releases it (on the io thread,
// see util/grpc_unary_impl.hpp), and with it gRPC's threads. The next renewal dials afresh, which
// costs one TLS handshake per renewal and is what rebuild_channel did after every failure anyway.

#include "istio/ca_client.hpp"

#include "istio/ca_channel.hpp"
#include "util/grpc_unary.hpp"

#include "ca.grpc.pb.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gic::istio {

namespace asio = boost::asio;
using ::istio::v1::auth::IstioCertificateRequest;
using ::istio::v1::auth::IstioCertificateResponse;
using ::istio::v1::auth::IstioCertificateService;

namespace {

// A channel and the stub on it. Calls hold a reference until they complete, so replacing or
// dropping the client's connection never pulls it out from under a call.
struct Connection {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<IstioCertificateService::Stub> stub;
};

std::shared_ptr<Connection const> connect(CaClientConfig const& config) {
    auto channel = make_ca_channel(config);
    auto stub = IstioCertificateService::NewStub(channel);
    return std::make_shared<Connection const>(Connection{std::move(channel), std::move(stub)});
}

IstioCertificateRequest make_request(CertificateRequest const& request) {
    IstioCertificateRequest body;
    body.set_csr(request.csr_pem);
    body.set_validity_duration(request.validity.count());
    // pilot-agent always sends CertSigner (empty unless ISTIO_META_CERT_SIGNER is set).
    (*body.mutable_metadata()->mutable_fields())["CertSigner"].set_string_value("");
    return body;
}

// A server that echoes the Authorization header back must not get the token into our logs.
std::string without_token(std::string message, std::string const& token) {
    constexpr std::size_t min_token_length = 8;  // shorter strings would mangle ordinary words
    if (token.size() < min_token_length) return message;
    for (auto pos = message.find(token); pos != std::string::npos; pos = message.find(token, pos)) {
        message.replace(pos, token.size(), "<redacted>");
    }
    return message;
}

}  // namespace

struct CaClient::Impl {
    asio::any_io_executor executor;
    CaClientConfig config;
    // Shared by the calls in flight (each holds it through UnaryCallOptions::keep_alive); empty
    // when none is, so that an idle agent holds no channel and gRPC no threads.
    std::weak_ptr<Connection const> connection;

    std::shared_ptr<Connection const> connection_for_call() {
        auto current = connection.lock();
        if (!current) {
            current = connect(config);
            connection = current;
        }
        return current;
    }
};

CaClient::CaClient(asio::any_io_executor executor, CaClientConfig config)
    : impl_(std::make_unique<Impl>(Impl{std::move(executor), std::move(config), {}})) {
    validate_ca_channel_config(impl_->config);  // a bad flag fails at startup, not at the first renewal
}

CaClient::~CaClient() = default;

CaClientConfig const& CaClient::config() const { return impl_->config; }

void CaClient::rebuild_channel(std::string root_pem) {
    auto config = impl_->config;
    config.root_pem = std::move(root_pem);
    validate_ca_channel_config(config);  // may throw; the old configuration stays in use then
    impl_->config = std::move(config);
    // Calls in flight keep the old channel; the next call dials a new one with the new roots.
    impl_->connection.reset();
}

std::shared_ptr<void const> CaClient::connect_ahead() {
    auto connection = impl_->connection_for_call();
    connection->channel->GetState(/*try_to_connect=*/true);
    return connection;
}

asio::awaitable<boost::system::result<std::vector<std::string>, CaError>> CaClient::create_certificate(
    CertificateRequest const& request) {
    // Copy everything the call needs before the first suspension: the client may be rebuilt or
    // destroyed, and `request` may go away, while the call is in flight.
    CaError error{.code = grpc::StatusCode::UNKNOWN,
                  .message = {},
                  .address = impl_->config.address,
                  .tls_server_name = impl_->config.tls_server_name};
    std::string const token = request.token;

    util::UnaryCallOptions options;
    options.timeout = impl_->config.call_timeout;
    options.metadata = {{"authorization", "Bearer " + token}, {"clusterid", impl_->config.cluster_id}};

    // A coroutine that is already cancelled would throw at the co_await below; report it as the
    // call's own cancellation instead, so callers see one shape for "cancelled".
    auto cancel_state = co_await asio::this_coro::cancellation_state;
    if (cancel_state.cancelled() != asio::cancellation_type::none) {
        error.code = grpc::StatusCode::CANCELLED;
        error.message = "cancelled before the call started";
        co_return error;
    }

    auto const connection = impl_->connection_for_call();
    options.keep_alive = connection;
    auto [status, response] = co_await util::async_unary(
        impl_->executor, connection->stub->async(), &IstioCertificateService::Stub::async::CreateCertificate,
        make_request(request), std::move(options), asio::use_awaitable);

    if (!status.ok()) {
        error.code = status.error_code();
        error.message = without_token(status.error_message(), token);
        co_return error;
    }
    if (response.cert_chain_size() < 2) {
        // pilot-agent's message. UNKNOWN: the call itself succeeded, the answer is unusable;
        // not retriable (see CaError::is_retriable).
        error.code = grpc::StatusCode::UNKNOWN;
        error.message = "invalid empty CertChain (the CA answered with " + std::to_string(response.cert_chain_size()) +
                        " element(s); expected the leaf first and the root bundle last)";
        co_return error;
    }
    co_return std::vector<std::string>(std::make_move_iterator(response.mutable_cert_chain()->begin()),
                                       std::make_move_iterator(response.mutable_cert_chain()->end()));
}

}  // namespace gic::istio
