#pragma once
// Authentication, as the API server's union authenticator does it: a verified client
// certificate (CN = user, O = groups), else a bearer service-account JWT signed by this emulator
// whose audiences intersect the accepted ones and whose service account still exists with the
// same uid. TokenReview reuses the token path with caller-chosen audiences.

#include "service_account_tokens.hpp"
#include "store.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gic::emu::kube {

inline constexpr std::string_view group_authenticated = "system:authenticated";
inline constexpr std::string_view group_masters = "system:masters";

struct UserInfo {
    std::string name;  // "admin", "system:serviceaccount:ns:sa", "system:anonymous"
    std::string uid;
    std::vector<std::string> groups;
    std::map<std::string, std::vector<std::string>> extra;

    bool in_group(std::string_view group) const;
    bool is_authenticated() const { return in_group(group_authenticated); }
};

// What the TLS layer learned about the client certificate, if one was sent.
struct PeerCertificate {
    bool present = false;
    bool verified = false;  // chains to the emulator's client CA
    std::string common_name;
    std::vector<std::string> organizations;
};

struct TokenReviewResult {
    bool authenticated = false;
    UserInfo user;
    std::vector<std::string> audiences;  // the intersection with the requested audiences
    std::string error;
};

struct AuthnResult {
    enum class Outcome { authenticated, anonymous, rejected };
    Outcome outcome = Outcome::rejected;
    UserInfo user;
    std::string error;  // why a credential was rejected (logged, never sent)
};

class Authenticator {
public:
    Authenticator(TokenSigner const& signer, ObjectStore const& store, std::vector<std::string> api_audiences);

    AuthnResult authenticate(PeerCertificate const& peer, std::string_view authorization_header) const;
    // `audiences` empty means the API server's own audiences, as TokenReview defines it.
    TokenReviewResult review_token(std::string_view token, std::vector<std::string> const& audiences) const;

    std::vector<std::string> const& api_audiences() const { return api_audiences_; }

private:
    TokenSigner const& signer_;
    ObjectStore const& store_;
    std::vector<std::string> api_audiences_;
};

}  // namespace gic::emu::kube
