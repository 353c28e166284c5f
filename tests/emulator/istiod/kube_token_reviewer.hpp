#pragma once
// TokenReviewer on the Kubernetes API through the agent's own kube::Client (POST
// /apis/authentication.k8s.io/v1/tokenreviews with spec.token and spec.audiences).

#include "kube/client.hpp"
#include "token_reviewer.hpp"

#include <boost/asio/any_io_executor.hpp>

namespace gic::emu::istiod {

class KubeTokenReviewer final : public TokenReviewer {
public:
    // `client` must live on `executor` (the emulator's io_context); review() may be called from
    // any thread and posts the call there.
    KubeTokenReviewer(boost::asio::any_io_executor executor, kube::Client& client)
        : executor_(std::move(executor)), client_(client) {}

    void review(std::string token, std::vector<std::string> audiences,
                std::function<void(TokenReviewResult)> done) override;

private:
    boost::asio::any_io_executor executor_;
    kube::Client& client_;
};

// Reads a TokenReview object (status.authenticated, status.user, status.error).
TokenReviewResult parse_token_review(boost::json::object const& review);

}  // namespace gic::emu::istiod
