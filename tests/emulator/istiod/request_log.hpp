#pragma once
// The CreateCertificate calls received, for GET /requests. Never holds a token: only a SHA-256
// prefix of it so that tests can tell tokens apart.

#include <grpcpp/support/status_code_enum.h>

#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gic::emu::istiod {

struct RequestRecord {
    std::chrono::system_clock::time_point time;
    std::string peer;
    std::optional<std::string> clusterid;   // nullopt: header absent
    std::string token_sha256;               // first 16 hex digits; empty: no bearer token
    std::string identity;                   // SPIFFE id when authenticated
    std::string auth_error;                 // istiod's logged reason when authentication failed
    std::int64_t requested_ttl_seconds = 0;
    grpc::StatusCode code = grpc::OK;
    std::string message;
    std::string fault;                      // Fault::describe() of an injected fault
};

// First 16 lower-case hex digits of SHA-256(token).
std::string token_fingerprint(std::string_view token);

class RequestLog {
public:
    void add(RequestRecord record);
    std::vector<RequestRecord> records() const;
    void clear();
    boost::json::array to_json() const;

private:
    mutable std::mutex mutex_;
    std::vector<RequestRecord> records_;
};

}  // namespace gic::emu::istiod
