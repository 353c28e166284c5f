#pragma once
// Service-account JWTs as the API server mints them (RS256 with the emulator's own key, claims of
// pkg/serviceaccount/claims.go), and their cryptographic and time validation. Whether the service
// account still exists and which audiences are acceptable is decided by the authenticator.

#include "pki/key.hpp"
#include "util/error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gic::emu::kube {

struct BoundObject {
    std::string kind;  // "Pod" or "Secret"
    std::string name;
    std::string uid;
};

struct TokenClaims {
    std::string issuer;
    std::string namespace_;
    std::string service_account;
    std::string service_account_uid;
    std::vector<std::string> audiences;
    std::int64_t issued_at = 0;   // seconds since the epoch
    std::int64_t not_before = 0;
    std::int64_t expires_at = 0;
    std::string id;  // jti
    std::optional<BoundObject> bound;

    std::string subject() const { return "system:serviceaccount:" + namespace_ + ":" + service_account; }
};

class TokenSigner {
public:
    TokenSigner(pki::PrivateKey key, std::string issuer);

    // Fills issuer, iat/nbf/exp (from `now` and `ttl`) and jti, then signs.
    std::string issue(TokenClaims claims, std::chrono::system_clock::time_point now, std::chrono::seconds ttl) const;
    // Checks the form, the RS256 signature, the issuer and exp/nbf (no leeway). Error messages are
    // what TokenReview reports: "invalid signature", "service account token has expired", ...
    Result<TokenClaims> verify(std::string_view token, std::chrono::system_clock::time_point now) const;

    std::string const& issuer() const { return issuer_; }
    std::string const& key_id() const { return key_id_; }
    std::string public_key_pem() const;

private:
    pki::PrivateKey key_;
    std::string issuer_;
    std::string key_id_;
};

}  // namespace gic::emu::kube
