#pragma once
// Shared test material: a CA and certificates made once per process (PEM as text), and the
// fixture of the client and watch tests (a RestConfig for a test server, running awaitables).

#include "kube/rest_config.hpp"
#include "test_ca.hpp"
#include "test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

namespace gic::kube::test {

struct Pki {
    emu::CertificateAuthority ca;
    emu::IssuedCert server;  // DNS localhost + kubernetes.default.svc, IP 127.0.0.1
    emu::IssuedCert client;  // CN=admin, O=system:masters
    emu::CertificateAuthority other_ca;

    std::string ca_pem() const { return ca.cert().to_pem(); }
};

Pki const& pki();

// True when `text` contains `part`; else says what was looked for in the test log.
bool contains(std::string const& text, std::string const& part);

struct ClientFixture {
    boost::asio::io_context io;

    // The API server at 127.0.0.1:`port`, trusted through pki()'s CA, with a static token.
    RestConfig config_for(unsigned short port) const;

    template <class Respond>
    std::unique_ptr<TestHttpsServer> server(Respond respond, ServerTls tls = {}) {
        return std::make_unique<TestHttpsServer>(io, std::move(respond), std::move(tls));
    }

    // Runs one awaitable on the test's io_context until it completes (the servers keep running
    // on the same context).
    template <class T>
    T run(boost::asio::awaitable<T> awaitable) {
        std::optional<T> out;
        std::exception_ptr error;
        bool done = false;
        boost::asio::co_spawn(io, std::move(awaitable), [&](std::exception_ptr e, T value) {
            done = true;
            error = e;
            if (!e) out.emplace(std::move(value));
            io.stop();
        });
        io.restart();
        io.run_for(std::chrono::seconds(30));
        BOOST_REQUIRE_MESSAGE(done, "the operation did not complete");
        if (error) std::rethrow_exception(error);
        return std::move(*out);
    }

    // Runs the io_context until `done()` or a bound.
    template <class Pred>
    bool run_until(Pred done) {
        io.restart();
        for (int i = 0; i < 300 && !done(); ++i) io.run_for(std::chrono::milliseconds(10));
        return done();
    }
};

}  // namespace gic::kube::test
