#pragma once
// Where the Istio token sent to the CA comes from. The issuer asks before every CA call, so a
// source always answers at once (synchronously) with its current token:
//   FileTokenSource    the mounted projected token (--istio-token-path), read on every call so
//                      the kubelet's rotation is picked up;
//   MintedTokenSource  a token minted with the TokenRequest API (minted_token_source.hpp), cached
//                      and re-minted by a coroutine before it expires.
// One source per identity (DESIGN.md: nothing global assumes one target).

#include "agent/decisions/identity.hpp"
#include "util/error.hpp"

#include <functional>
#include <memory>
#include <string>

namespace gic::agent {

class TokenSource {
public:
    virtual ~TokenSource() = default;
    // The token to send now. Errors name the file or the TokenRequest that failed; never the token.
    virtual Result<std::string> token() = 0;
    // For messages and logs: "Istio token file /var/run/..." or "token minted for ns/sa".
    virtual std::string describe() const = 0;
};

class FileTokenSource final : public TokenSource {
public:
    explicit FileTokenSource(std::string path) : path_(std::move(path)) {}
    Result<std::string> token() override;
    std::string describe() const override { return "Istio token file " + path_ + " (--istio-token-path)"; }

private:
    std::string path_;
};

// Adapts a source to the issuer's and rotator's token reader; the source must outlive the reader.
inline std::function<Result<std::string>()> token_reader(std::shared_ptr<TokenSource> source) {
    return [source = std::move(source)] { return source->token(); };
}

}  // namespace gic::agent
