#include "state_dir.hpp"

#include "emulator/common/test_ca.hpp"
#include "json_util.hpp"
#include "util/base64.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

namespace gic::emu::kube {

namespace asio = boost::asio;

namespace {

std::string kubeconfig(std::string const& server_url, std::string const& ca_pem, std::string const& user_name,
                       std::string const& user_block, std::string const& ns) {
    return "apiVersion: v1\n"
           "kind: Config\n"
           "clusters:\n"
           "- name: emulator\n"
           "  cluster:\n"
           "    server: " + server_url + "\n"
           "    certificate-authority-data: " + util::base64_encode(ca_pem) + "\n"
           "users:\n"
           "- name: " + user_name + "\n"
           "  user:\n" + user_block +
           "contexts:\n"
           "- name: emulator\n"
           "  context:\n"
           "    cluster: emulator\n"
           "    user: " + user_name + "\n"
           "    namespace: " + ns + "\n"
           "current-context: emulator\n"
           "preferences: {}\n";
}

std::string sa_dir(Options const& options, ServiceAccountName const& sa) {
    return options.state_dir + "/serviceaccounts/" + sa.namespace_ + "/" + sa.name;
}

}  // namespace

void write_static_files(Options const& options, std::string const& server_url, AdminCredentials const& admin,
                        std::string const& sa_public_key_pem) {
    std::filesystem::create_directories(options.state_dir);
    write_file_atomic(options.state_dir + "/ca.crt", admin.ca_pem);
    write_file_atomic(options.state_dir + "/sa.pub", sa_public_key_pem);
    std::string admin_user = "    client-certificate-data: " + util::base64_encode(admin.client_cert_pem) + "\n" +
                             "    client-key-data: " + util::base64_encode(admin.client_key_pem) + "\n";
    write_file_atomic(options.state_dir + "/admin.kubeconfig",
                      kubeconfig(server_url, admin.ca_pem, "admin", admin_user, "default"), 0600);
    for (auto const& sa : options.service_accounts) {
        auto dir = sa_dir(options, sa);
        std::filesystem::create_directories(dir);
        std::string user = "    tokenFile: " + std::filesystem::absolute(dir + "/token").string() + "\n";
        write_file_atomic(dir + "/kubeconfig",
                          kubeconfig(server_url, admin.ca_pem, sa.namespace_ + "-" + sa.name, user, sa.namespace_),
                          0600);
    }
}

void write_token_files(Options const& options, ObjectStore const& store, TokenSigner const& signer,
                       std::string const& api_audience) {
    auto now = std::chrono::system_clock::now();
    for (auto const& sa : options.service_accounts) {
        auto obj = store.get("serviceaccounts", sa.namespace_, sa.name);
        if (!obj) continue;  // deleted through the API: its files keep their last tokens
        TokenClaims claims;
        claims.namespace_ = sa.namespace_;
        claims.service_account = sa.name;
        claims.service_account_uid = metadata_string(*obj, "uid");
        auto dir = sa_dir(options, sa);
        claims.audiences = {api_audience};
        write_file_atomic(dir + "/token", signer.issue(claims, now, options.token_ttl), 0600);
        claims.audiences = {"istio-ca"};
        write_file_atomic(dir + "/istio-token", signer.issue(claims, now, options.token_ttl), 0600);
    }
}

asio::awaitable<void> refresh_token_files(Options const& options, ObjectStore const& store, TokenSigner const& signer,
                                          std::string api_audience) {
    if (options.service_accounts.empty()) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto period = std::chrono::milliseconds(options.token_ttl) * 8 / 10;
    for (;;) {
        timer.expires_after(period);
        co_await timer.async_wait(asio::use_awaitable);
        try {
            write_token_files(options, store, signer, api_audience);
        } catch (std::exception const& e) {
            std::cerr << "refreshing token files: " << e.what() << std::endl;
        }
    }
}

}  // namespace gic::emu::kube
