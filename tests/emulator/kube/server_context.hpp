#pragma once
// What every handler may use: the store, the token machinery and the authorizer. Owned by main,
// outlives the server.

#include "api_status.hpp"
#include "audit_log.hpp"
#include "authn.hpp"
#include "authz.hpp"
#include "service_account_tokens.hpp"
#include "store.hpp"
#include "watch_hub.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <string>

namespace gic::emu::kube {

struct ServerContext {
    ObjectStore& store;
    TokenSigner const& signer;
    Authenticator const& authenticator;
    Authorizer const& authorizer;
    WatchHub& watches;
    AuditLog& audit;
    // kube-apiserver's --service-account-max-token-expiration: TokenRequests asking for longer get
    // this much (0: no cap).
    std::chrono::seconds max_token_expiration{0};
};

[[noreturn]] void throw_exception_from_error(ApiError const& e, boost::source_location const&);

// A handler step that either yields a value or the Status to answer with.
template <class T>
using ApiResult = boost::system::result<T, ApiError>;

}  // namespace gic::emu::kube
