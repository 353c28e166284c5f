#include "kube_token_reviewer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

namespace gic::emu::istiod {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

asio::awaitable<void> run_review(kube::Client& client, std::string token, std::vector<std::string> audiences,
                                 std::function<void(TokenReviewResult)> done) {
    json::array aud;
    for (auto const& a : audiences) aud.emplace_back(a);
    json::object body{{"apiVersion", "authentication.k8s.io/v1"},
                      {"kind", "TokenReview"},
                      {"spec", json::object{{"token", token}, {"audiences", std::move(aud)}}}};
    // A named local, not a temporary in the co_await expression: g++ 12 destroys such temporaries
    // twice inside coroutines.
    kube::ResourceRef const ref{"authentication.k8s.io/v1", "tokenreviews", "", "", ""};
    TokenReviewResult result;
    try {
        auto reply = co_await client.create(ref, body);
        if (reply) result = parse_token_review(*reply);
        else result.api_error = reply.error().describe();
    } catch (std::exception const& e) {
        result.api_error = e.what();
    }
    done(std::move(result));
}

}  // namespace

TokenReviewResult parse_token_review(json::object const& review) {
    TokenReviewResult r;
    auto const* status = review.if_contains("status");
    if (!status || !status->is_object()) return r;  // no status: not authenticated
    auto const& s = status->as_object();
    if (auto const* a = s.if_contains("authenticated"); a && a->is_bool()) r.authenticated = a->as_bool();
    if (auto const* e = s.if_contains("error"); e && e->is_string()) r.error = e->as_string();
    if (auto const* u = s.if_contains("user"); u && u->is_object()) {
        auto const& user = u->as_object();
        if (auto const* n = user.if_contains("username"); n && n->is_string()) r.username = n->as_string();
        if (auto const* g = user.if_contains("groups"); g && g->is_array())
            for (auto const& group : g->as_array())
                if (group.is_string()) r.groups.emplace_back(group.as_string());
    }
    return r;
}

void KubeTokenReviewer::review(std::string token, std::vector<std::string> audiences,
                               std::function<void(TokenReviewResult)> done) {
    asio::co_spawn(executor_, run_review(client_, std::move(token), std::move(audiences), std::move(done)), asio::detached);
}

}  // namespace gic::emu::istiod
