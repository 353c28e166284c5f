#pragma once
// The files the emulator leaves for its clients (DESIGN.md section 6):
//   DIR/ca.crt                      CA of the serving certificate
//   DIR/admin.kubeconfig            client-certificate auth as admin (group system:masters)
//   DIR/sa.pub                      public key that verifies service-account tokens
//   DIR/serviceaccounts/NS/NAME/{token, istio-token, kubeconfig}
// Token files are rewritten (atomically) at 80% of their lifetime, as kubelet refreshes
// projected tokens.

#include "options.hpp"
#include "service_account_tokens.hpp"
#include "store.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace gic::emu::kube {

struct AdminCredentials {
    std::string ca_pem;
    std::string client_cert_pem;
    std::string client_key_pem;
};

void write_static_files(Options const& options, std::string const& server_url, AdminCredentials const& admin,
                        std::string const& sa_public_key_pem);
// Writes every service account's token files once.
void write_token_files(Options const& options, ObjectStore const& store, TokenSigner const& signer,
                       std::string const& api_audience);
// Rewrites the token files at 80% of --token-ttl, forever.
boost::asio::awaitable<void> refresh_token_files(Options const& options, ObjectStore const& store,
                                                 TokenSigner const& signer, std::string api_audience);

}  // namespace gic::emu::kube
