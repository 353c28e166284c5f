// CaError: which failures are worth retrying soon, and the one line an operator reads.

#include "istio/ca_client.hpp"

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

// gRPC C++ reports TLS failures inside a generic connect failure ("failed to connect to all
// addresses; last error: UNKNOWN: ipv4:...: Ssl handshake failed: SSL_ERROR_SSL: ...
// CERTIFICATE_VERIFY_FAILED" or "... Peer name X is not in peer certificate").
bool looks_like_tls_failure(std::string const& message) {
    for (char const* marker : {"Ssl handshake", "SSL_ERROR", "CERTIFICATE_VERIFY_FAILED", "certificate",
                               "Peer name", "handshake"}) {
        if (message.find(marker) != std::string::npos) return true;
    }
    return false;
}

// Newlines in a server message would break the one-line contract.
std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
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
            if (looks_like_tls_failure(e.message)) {
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
        case grpc::StatusCode::INTERNAL:
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
        case grpc::StatusCode::ABORTED: return "the CA reported a transient failure; retrying";
        case grpc::StatusCode::UNIMPLEMENTED:
            return "the server does not serve istio.v1.auth.IstioCertificateService (is the CA server enabled and "
                   "--ca-address istiod's :15012 port?)";
        default: return {};
    }
}

}  // namespace

std::string CaError::describe() const {
    std::string line = "CA " + address + ": " + std::string(status_code_name(code));
    if (!message.empty()) line += ": " + one_line(message);
    if (auto h = hint(*this); !h.empty()) line += "; " + h;
    return line;
}

void throw_exception_from_error(CaError const& error, boost::source_location const&) {
    throw std::runtime_error(error.describe());
}

}  // namespace gic::istio
