#pragma once
// The TokenReview istiod's KubeJWTAuthenticator sends, behind an interface so that the service
// logic can be tested with a fake and the emulator uses the Kubernetes API.

#include <functional>
#include <string>
#include <vector>

namespace gic::emu::istiod {

// What came back from POST /apis/authentication.k8s.io/v1/tokenreviews.
struct TokenReviewResult {
    std::string api_error;             // non-empty: the call itself failed (transport or Status)
    bool authenticated = false;        // status.authenticated
    std::string username;              // status.user.username
    std::vector<std::string> groups;   // status.user.groups
    std::string error;                 // status.error
};

class TokenReviewer {
public:
    virtual ~TokenReviewer() = default;
    // Reviews `token` for `audiences`; `done` runs exactly once, on any thread, possibly inline.
    virtual void review(std::string token, std::vector<std::string> audiences,
                        std::function<void(TokenReviewResult)> done) = 0;
};

}  // namespace gic::emu::istiod
