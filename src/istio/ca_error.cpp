// CaError: which failures are worth retrying soon, and the one line an operator reads.

#include "istio/ca_client.hpp"
#include "istio/ca_channel.hpp"
#include "util/server_text.hpp"

#include <initializer_list>
#include <stdexcept>

namespace gic::istio {

std::string_view status_code_name(grpc::StatusCode code) {
    switch (code) {
        case grpc::StatusCode::OK: return "OK";
        case grpc::StatusCode::CANCELLED: return "CANCELLED";
        case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
        case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
        case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
        case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
        case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
        case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
        case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
        case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
        case grpc::StatusCode::ABORTED: return "ABORTED";
        case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
        case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
        case grpc::StatusCode::INTERNAL: return "INTERNAL";
        case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
        case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
        case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
        default: return "UNKNOWN_CODE";
    }
}

bool CaError::is_retriable() const {
    switch (code) {
        case grpc::StatusCode::UNAVAILABLE:
        case grpc::StatusCode::INTERNAL:
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
        case grpc::StatusCode::ABORTED:
        case grpc::StatusCode::DEADLINE_EXCEEDED: return true;
        default: return false;
    }
}

namespace {

bool mentions(std::string const& message, std::initializer_list<char const*> markers) {
    for (char const* marker : markers) {
        if (message.find(marker) != std::string::npos) return true;
    }
    return false;
}

// gRPC C++ 1.51 reports TLS failures inside a generic connect failure, e.g. "failed to connect to
// all addresses; last error: UNKNOWN: ipv4:127.0.0.1:15012: Peer name X is not in peer
// certificate" or "...: Ssl handshake failed: SSL_ERROR_SSL: ...: certificate verify failed".
bool is_name_mismatch(std::string const& message) { return mentions(message, {"Peer name", "not in peer certificate"}); }
bool is_untrusted_chain(std::string const& message) {
    return mentions(message, {"certificate verify failed", "CERTIFICATE_VERIFY_FAILED"});
}
bool is_other_tls_failure(std::string const& message) {
    return mentions(message, {"Ssl handshake", "SSL_ERROR", "handshake", "certificate"});
}

std::string server_name_for_hint(CaError const& e) {
    return e.tls_server_name.empty() ? std::string("the host of --ca-address") : e.tls_server_name;
}

std::string hint(CaError const& e) {
    switch (e.code) {
        case grpc::StatusCode::UNAUTHENTICATED:
            return "check that the token has audience istio-ca, has not expired, and that --cluster-name matches "
                   "istiod's cluster ID (istiod logs the exact reason)";
        case grpc::StatusCode::INVALID_ARGUMENT:
            return "check --cert-ttl against istiod's MAX_WORKLOAD_CERT_TTL (default 2160h) and the CSR";
        case grpc::StatusCode::UNAVAILABLE:
            if (is_name_mismatch(e.message)) {
                return "istiod's serving certificate at " + e.address + " does not name " + server_name_for_hint(e) +
                       ": set --ca-tls-server-name to one of its DNS names (istiod[-<revision>].istio-system.svc); "
                       "the chain to --root-cert-path verified";
            }
            if (is_untrusted_chain(e.message)) {
                return "istiod's serving certificate at " + e.address + " does not chain to --root-cert-path: the "
                       "root bundle is wrong or stale (root rotation?); --ca-tls-server-name is " +
                       server_name_for_hint(e);
            }
            if (is_other_tls_failure(e.message)) {
                return "TLS handshake with " + e.address + " failed: check that --root-cert-path holds the root that "
                       "signed istiod's serving certificate and that --ca-tls-server-name (" + server_name_for_hint(e) +
                       ") is one of its DNS names";
            }
            return "check that " + e.address + " is reachable from here (--ca-address), that --root-cert-path holds "
                   "istiod's root and that --ca-tls-server-name (" + server_name_for_hint(e) +
                   ") is one of istiod's DNS names";
        case grpc::StatusCode::DEADLINE_EXCEEDED:
            return "no answer within the per-call deadline; istiod may be overloaded or the path to it drops packets";
        case grpc::StatusCode::CANCELLED: return "the call was cancelled (shutdown or lost leadership)";
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
            if (e.message.find("Received message larger than max") != std::string::npos) {
                return "the CA's answer is larger than the " + std::to_string(max_ca_response_bytes) +
                       " bytes accepted (a certificate chain is a few KiB); it was refused";
            }
            return "a transient failure on the CA side (worth retrying with backoff)";
        case grpc::StatusCode::INTERNAL:
        case grpc::StatusCode::ABORTED: return "a transient failure on the CA side (worth retrying with backoff)";
        case grpc::StatusCode::UNIMPLEMENTED:
            return "the server does not serve istio.v1.auth.IstioCertificateService (is the CA server enabled and "
                   "--ca-address istiod's :15012 port?)";
        default: return {};
    }
}

}  // namespace

std::string CaError::describe() const {
    std::string line = "CA " + address + ": " + std::string(status_code_name(code));
    if (!message.empty()) line += ": " + util::server_text(message);
    if (auto h = hint(*this); !h.empty()) line += "; " + h;
    return line;
}

void throw_exception_from_error(CaError const& error, boost::source_location const&) {
    throw std::runtime_error(error.describe());
}

}  // namespace gic::istio
