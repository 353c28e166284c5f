// CaDial: dropping a dial that cannot finish (a peer that never answers the ClientHello) does not
// wait for gRPC's connect deadline. That the dial moves a channel through its handshake without a
// call cannot be shown in this process: the in-process server's threads poll gRPC's one epoll set
// and move the client's connection along as well (measured with strace against the emulators; see
// docs/performance.md).

#include "istio/ca_channel.hpp"
#include "istio/ca_dial.hpp"

#include "test_ca.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using gic::istio::CaClientConfig;
using gic::istio::CaDial;

namespace {

constexpr char const* istiod_name = "istiod.istio-system.svc";

struct Istiod {
    gic::emu::CertificateAuthority root = gic::emu::CertificateAuthority::create_root(
        "gen-istio-cert test", "istiod root", gic::pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(24));

    CaClientConfig config(std::string address) const {
        return CaClientConfig{.address = std::move(address),
                              .tls_server_name = istiod_name,
                              .root_pem = root.cert().to_pem(),
                              .cluster_id = "Kubernetes",
                              .call_timeout = 10s};
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_dial)

BOOST_AUTO_TEST_CASE(dropping_a_dial_that_cannot_finish_waits_at_most_about_a_poll_slice) {
    // A listener that never accepts: the kernel completes the TCP connect, nobody answers the
    // ClientHello, and gRPC would wait for its 20 s connect deadline.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    Istiod istiod;
    auto const address = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
    auto channel = gic::istio::make_ca_channel(istiod.config(address));
    auto dial = std::make_unique<CaDial>(channel);
    std::this_thread::sleep_for(100ms);  // connected, handshake pending
    BOOST_TEST(channel->GetState(false) != GRPC_CHANNEL_READY);
    auto const started = std::chrono::steady_clock::now();
    dial.reset();
    auto const waited = std::chrono::steady_clock::now() - started;
    // The slice is 10 ms; a loaded machine may take longer to schedule the poller, not seconds.
    BOOST_TEST(waited < 2s, "dropping the dial took "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
