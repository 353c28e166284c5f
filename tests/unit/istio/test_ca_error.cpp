// CaError: retry classes and the operator's one line.

#include "istio/ca_client.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

using gic::istio::CaError;
using grpc::StatusCode;

namespace {

CaError error(StatusCode code, std::string message = "server said so") {
    return CaError{.code = code,
                   .message = std::move(message),
                   .address = "istiod.istio-system.svc:15012",
                   .tls_server_name = "istiod.istio-system.svc"};
}

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_error)

BOOST_AUTO_TEST_CASE(retriable_codes_are_pilot_agents_set_plus_our_deadline) {
    for (auto code : {StatusCode::UNAVAILABLE, StatusCode::INTERNAL, StatusCode::RESOURCE_EXHAUSTED, StatusCode::ABORTED,
                      StatusCode::DEADLINE_EXCEEDED}) {
        BOOST_TEST(error(code).is_retriable(), gic::istio::status_code_name(code));
    }
    for (auto code : {StatusCode::CANCELLED, StatusCode::UNKNOWN, StatusCode::INVALID_ARGUMENT, StatusCode::NOT_FOUND,
                      StatusCode::PERMISSION_DENIED, StatusCode::FAILED_PRECONDITION, StatusCode::UNIMPLEMENTED,
                      StatusCode::UNAUTHENTICATED, StatusCode::DATA_LOSS}) {
        BOOST_TEST(!error(code).is_retriable(), gic::istio::status_code_name(code));
    }
}

BOOST_AUTO_TEST_CASE(unauthenticated_names_audience_expiry_and_cluster_name) {
    auto line = error(StatusCode::UNAUTHENTICATED, "request authenticate failure").describe();
    BOOST_TEST(contains(line, "istiod.istio-system.svc:15012"), line);
    BOOST_TEST(contains(line, "UNAUTHENTICATED"), line);
    BOOST_TEST(contains(line, "request authenticate failure"), line);
    BOOST_TEST(contains(line, "audience istio-ca"), line);
    BOOST_TEST(contains(line, "has not expired"), line);
    BOOST_TEST(contains(line, "--cluster-name matches istiod's cluster ID"), line);
}

BOOST_AUTO_TEST_CASE(invalid_argument_names_cert_ttl_and_max_workload_cert_ttl) {
    auto line = error(StatusCode::INVALID_ARGUMENT,
                      "CSR signing error (requested TTL 87600h0m0s is greater than the max allowed TTL 2160h0m0s)")
                    .describe();
    BOOST_TEST(contains(line, "requested TTL 87600h0m0s"), line);
    BOOST_TEST(contains(line, "--cert-ttl"), line);
    BOOST_TEST(contains(line, "MAX_WORKLOAD_CERT_TTL"), line);
}

BOOST_AUTO_TEST_CASE(unavailable_untrusted_chain_points_at_the_root_bundle) {
    auto line = error(StatusCode::UNAVAILABLE,
                      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:15012: Ssl handshake "
                      "failed: SSL_ERROR_SSL: error:0A000086:SSL routines::certificate verify failed")
                    .describe();
    BOOST_TEST(contains(line, "does not chain to --root-cert-path"), line);
    BOOST_TEST(contains(line, "istiod.istio-system.svc:15012"), line);
    BOOST_TEST(contains(line, "--ca-tls-server-name is istiod.istio-system.svc"), line);
}

BOOST_AUTO_TEST_CASE(unavailable_name_mismatch_points_at_the_server_name_flag) {
    auto e = error(StatusCode::UNAVAILABLE,
                   "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:15012: Peer name "
                   "istiod-1-22.istio-system.svc is not in peer certificate");
    e.tls_server_name = "istiod-1-22.istio-system.svc";
    auto line = e.describe();
    BOOST_TEST(contains(line, "does not name istiod-1-22.istio-system.svc"), line);
    BOOST_TEST(contains(line, "set --ca-tls-server-name"), line);
    BOOST_TEST(contains(line, "--root-cert-path"), line);
    BOOST_TEST(contains(line, "istiod.istio-system.svc:15012"), line);
}

BOOST_AUTO_TEST_CASE(unavailable_other_handshake_failure_names_both_flags) {
    auto line = error(StatusCode::UNAVAILABLE,
                      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:15012: Ssl handshake "
                      "failed: SSL_ERROR_SSL: error:0A00010B:SSL routines::wrong version number")
                    .describe();
    BOOST_TEST(contains(line, "TLS handshake with istiod.istio-system.svc:15012 failed"), line);
    BOOST_TEST(contains(line, "--root-cert-path"), line);
    BOOST_TEST(contains(line, "--ca-tls-server-name (istiod.istio-system.svc)"), line);
}

BOOST_AUTO_TEST_CASE(unavailable_without_tls_server_name_refers_to_the_address_host) {
    auto e = error(StatusCode::UNAVAILABLE, "Peer name 10.0.0.1 is not in peer certificate");
    e.tls_server_name.clear();
    BOOST_TEST(contains(e.describe(), "does not name the host of --ca-address"), e.describe());
}

BOOST_AUTO_TEST_CASE(unavailable_connect_failure_names_reachability_and_the_flags) {
    auto line = error(StatusCode::UNAVAILABLE,
                      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to "
                      "remote host: Connection refused")
                    .describe();
    BOOST_TEST(contains(line, "istiod.istio-system.svc:15012 is reachable"), line);
    BOOST_TEST(contains(line, "--ca-address"), line);
    BOOST_TEST(contains(line, "--root-cert-path"), line);
    BOOST_TEST(contains(line, "--ca-tls-server-name"), line);
}

BOOST_AUTO_TEST_CASE(describe_is_one_line_even_for_multi_line_server_messages) {
    auto line = error(StatusCode::INTERNAL, "first\nsecond\r\nthird").describe();
    BOOST_TEST(!contains(line, "\n"), line);
    BOOST_TEST(!contains(line, "\r"), line);
    BOOST_TEST(contains(line, "first second"), line);
}

BOOST_AUTO_TEST_CASE(empty_cert_chain_error_keeps_pilot_agents_message_and_is_not_retried) {
    auto e = error(StatusCode::UNKNOWN, "invalid empty CertChain (the CA answered with 1 element(s))");
    BOOST_TEST(!e.is_retriable());
    BOOST_TEST(contains(e.describe(), "UNKNOWN: invalid empty CertChain"), e.describe());
}

BOOST_AUTO_TEST_CASE(value_of_a_failed_result_throws_the_description) {
    boost::system::result<int, CaError> failed = error(StatusCode::UNAUTHENTICATED, "nope");
    try {
        (void)failed.value();
        BOOST_FAIL("value() of an error result did not throw");
    } catch (std::runtime_error const& e) {
        BOOST_TEST(contains(e.what(), "UNAUTHENTICATED: nope"), e.what());
    }
}

BOOST_AUTO_TEST_SUITE_END()
