#pragma once
// Where the Kubernetes API is and how to authenticate to it, as client-go's rest.Config.

#include "kube/credential_provider.hpp"
#include "kube/pem_check.hpp"
#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gic::kube {

// kubeconfig `as`, `as-uid`, `as-groups`, `as-user-extra`: sent as Impersonate-* headers on every
// request and watch (client-go transport.NewImpersonatingRoundTripper).
struct Impersonation {
    std::string user;
    std::string uid;
    std::vector<std::string> groups;
    std::vector<std::pair<std::string, std::string>> extra;  // key, value (a key may repeat)

    bool empty() const { return user.empty() && uid.empty() && groups.empty() && extra.empty(); }
};

struct RestConfig {
    std::string server;            // "https://host:port" (IPv6 literal bracketed)
    std::string host;              // host part, without brackets
    std::string port;              // "443" when the URL had none
    std::string path_prefix;       // "/k8s/clusters/c-1" when the server URL has a path (proxies); else empty
    std::string tls_server_name;   // overrides the name verified and sent as SNI; empty: host
    // Trusted roots for the API server. Empty: the system trust store (OpenSSL's default paths, which
    // honour SSL_CERT_FILE and SSL_CERT_DIR), as client-go does for a cluster without a CA; with
    // insecure_skip_tls_verify: no verification.
    std::string ca_pem;
    // ca_pem's certificates as the loader decoded them when it checked them; used by the TLS
    // context only while they are ca_pem's (ParsedCertificates::pem). Null: decoded there.
    std::shared_ptr<ParsedCertificates const> ca_certs;
    // kubeconfig `insecure-skip-tls-verify: true` (allowed only without a CA; logged loudly at load):
    // the connection must then not verify the server's certificate chain or name.
    bool insecure_skip_tls_verify = false;
    std::string client_cert_pem;   // client-certificate authentication (with client_key_pem)
    std::string client_key_pem;
    std::string bearer_token;      // static token (kubeconfig `token`)
    std::string token_file;        // re-read as client-go does (at most a minute old, keep last good)
    // Exec plugin credentials (see credential_provider.hpp for what the client calls); when set,
    // complete_credentials() has already copied a first set into the fields above.
    std::shared_ptr<CredentialProvider> credential_provider;
    Impersonation impersonate;
    // The kubeconfig cluster's proxy-url (an http:// proxy tunnelling with CONNECT); empty: the
    // environment's HTTPS_PROXY/NO_PROXY decide (kube/proxy.hpp).
    std::string proxy_url;
    std::string namespace_;        // default namespace (in-cluster: POD_NAMESPACE or the mounted file)
    std::string origin;            // for messages: "in-cluster config" or "kubeconfig /path (context ctx)"
};

struct InClusterPaths {
    std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
    std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// KUBERNETES_SERVICE_HOST/PORT, the mounted token and ca.crt. Errors name the missing variable or file.
Result<RestConfig> load_in_cluster_config(InClusterPaths const& paths = {});

// One kubeconfig file (YAML, parsed with yaml-cpp): context `context` or current-context; cluster
// server, certificate-authority(-data), tls-server-name, insecure-skip-tls-verify; user token,
// tokenFile, client-certificate(-data)/client-key(-data), exec. Relative paths resolve against the
// file's directory. Errors name the file, the context and the field.
Result<RestConfig> load_kubeconfig(std::string const& path, std::string const& context = {});

// Where clientcmd looks for kubeconfig files. `explicit_path` (--kubeconfig): that file only,
// missing is an error. Else `kubeconfig_env` (KUBECONFIG, ':'-separated): every listed file,
// merged (first file to define a value wins), missing files skipped (an error only when all are
// missing; callers that can fall back to the in-cluster configuration use load_kubeconfig_model
// and kubeconfig_is_empty first, as client-go's deferred loader does). Else `home`/.kube/config.
struct KubeconfigLocations {
    std::string explicit_path;
    std::string kubeconfig_env;
    std::string home;
};
Result<RestConfig> load_kubeconfig(KubeconfigLocations const& locations, std::string const& context = {});

// With an exec plugin (credential_provider set) runs it once and copies its token or client
// certificate into `config`, so that a client built from `config` works even before it asks the
// provider itself. Errors name the command and carry its stderr.
boost::asio::awaitable<Result<void>> complete_credentials(RestConfig& config);

// Splits "https://host:port" into host and port; validates the scheme is https. Normalises
// `server` to "https://host:port" (IPv6 bracketed) and keeps a URL path in `path_prefix`.
Result<void> split_server_url(RestConfig& config);

// "host:port", with an IPv6 literal in brackets (Go's net.JoinHostPort).
std::string join_host_port(std::string const& host, std::string const& port);

}  // namespace gic::kube
