#include "agent/inputs/minted_token_source.hpp"

#include "agent/setup/token_claims.hpp"
#include "observe/log.hpp"
#include "util/time_format.hpp"

#include <algorithm>

namespace gic::agent {

using std::chrono::system_clock;

namespace {

boost::asio::awaitable<void> wait_for(util::Clock& clock, system_clock::duration wait) {
    if (wait <= system_clock::duration::zero()) co_return;
    co_await util::sleep_for(clock, std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait));
}

}  // namespace

system_clock::time_point refresh_time(system_clock::time_point minted_at, system_clock::time_point expires_at) {
    auto const life = expires_at - minted_at;
    if (life <= system_clock::duration::zero()) return minted_at;
    return minted_at + life / 10 * 8;  // divided first: a far expiry (up to year 2262) must not overflow
}

system_clock::duration wait_before_minting(std::optional<system_clock::time_point> expires_at,
                                          system_clock::time_point minted_at, system_clock::time_point now) {
    if (!expires_at) return system_clock::duration::zero();
    return std::max(refresh_time(minted_at, *expires_at) - now, system_clock::duration::zero());
}

std::chrono::seconds mint_retry_delay(std::chrono::seconds previous) {
    if (previous <= std::chrono::seconds::zero()) return std::chrono::seconds(1);
    return std::min(previous * 2, std::chrono::seconds(60));
}

MintedTokenSource::MintedTokenSource(kube::Api& api, MintRequest request, util::Clock& clock)
    : api_(api), request_(std::move(request)), clock_(clock) {}

std::string MintedTokenSource::describe() const {
    return "Istio token minted with TokenRequest for " + request_.namespace_ + "/" + request_.service_account;
}

std::optional<system_clock::time_point> MintedTokenSource::expires_at() const {
    if (!current_) return std::nullopt;
    return current_->expires_at;
}

Result<std::string> MintedTokenSource::token() {
    if (current_ && clock_.wall_now() < current_->expires_at) return current_->token;
    std::string const why = current_ ? "the minted token expired at " + util::format_rfc3339(current_->expires_at)
                                     : std::string("no token was minted yet");
    if (last_error_) return make_error(describe(), why + "; last attempt: " + last_error_->message);
    return make_error(describe(), why);
}

boost::asio::awaitable<Result<void>> MintedTokenSource::mint() {
    std::string const subject = request_.namespace_ + "/" + request_.service_account;
    auto fail = [&](Error const& e) {
        last_error_ = e;
        return Result<void>(e);
    };
    kube::ResourceRef const ref{"v1", "serviceaccounts", request_.namespace_, request_.service_account, "token"};
    auto const body = kube::token_request(request_.audiences, request_.expiration);
    auto const minted_at = clock_.wall_now();
    auto answer = co_await api_.create(ref, body);
    std::string const context = "minting an Istio token for " + subject + " with the TokenRequest API";
    if (!answer) {
        auto const& e = answer.error();
        std::string detail = e.describe();
        if (e.is_forbidden()) {
            detail += " (grant the Kubernetes credentials in use, " + e.credentials +
                      ", a Role with verbs [\"create\"] on resources [\"serviceaccounts/token\"] and resourceNames [\"" +
                      request_.service_account + "\"] in namespace " + request_.namespace_ + ")";
        } else if (e.is_not_found()) {
            detail += " (does service account " + subject + " exist? check --sa-namespace and --sa-name)";
        }
        co_return fail(make_error(context, detail));
    }
    auto minted = kube::parse_token_request_status(*answer);
    if (!minted) co_return fail(wrap_error(context, minted.error()));
    // The claims only guard against our own mistakes (istiod authenticates the token itself): a
    // token for another identity must never reach the CA.
    auto claims = parse_token_claims(minted->token);
    if (!claims) co_return fail(wrap_error(context + ": the minted token", claims.error()));
    if (claims->namespace_ != request_.namespace_ || claims->service_account != request_.service_account) {
        co_return fail(make_error(context, "the API server returned a token for " + claims->namespace_ + "/" +
                                               claims->service_account + "; refusing to use it"));
    }
    current_ = std::move(*minted);
    minted_at_ = minted_at;
    last_error_.reset();
    observe::log_info("agent", "minted an Istio token with TokenRequest",
                      {{"service_account", subject}, {"expires", util::format_rfc3339(current_->expires_at)}});
    co_return Result<void>{};
}

boost::asio::awaitable<void> MintedTokenSource::keep_fresh() {
    for (;;) {
        co_await wait_for(clock_, wait_before_minting(expires_at(), minted_at_, clock_.wall_now()));
        for (std::chrono::seconds retry_delay{0};;) {
            auto minted = co_await mint();
            if (minted) break;
            retry_delay = mint_retry_delay(retry_delay);
            observe::log_warning("agent",
                                 "minting the Istio token failed; retrying, the current token serves until it expires",
                                 {{"error", minted.error().message},
                                  {"retry_in_s", std::to_string(retry_delay.count())},
                                  {"expires", current_ ? util::format_rfc3339(current_->expires_at) : std::string("-")}});
            co_await wait_for(clock_, retry_delay);
        }
    }
}

}  // namespace gic::agent
