#pragma once
// Kubeconfig in two steps, as clientcmd does: parse files into a model (names → stanzas, each
// remembering the file it came from, relative paths already resolved against that file's
// directory), then resolve one context of the model into a RestConfig. Merging several files
// (KUBECONFIG) and exec plugins plug into these two steps.

#include "kube/rest_config.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gic::kube {

struct KubeconfigCluster {
    std::string origin;  // the file this stanza came from
    std::string server;
    std::string tls_server_name;
    bool insecure_skip_tls_verify = false;
    std::string certificate_authority;       // absolute path (resolved) or empty
    std::string certificate_authority_data;  // decoded PEM or empty
    std::string proxy_url;
    // extensions[name == client.authentication.k8s.io/exec].extension, as JSON text, or "".
    std::string exec_extension_json;
};

struct ExecConfig {
    std::string command;  // resolved against the kubeconfig directory when it contains a '/'
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;
    std::string api_version;
    std::string install_hint;
    bool provide_cluster_info = false;
    std::string interactive_mode;
};

struct KubeconfigUser {
    std::string origin;
    std::string token;       // never logged
    std::string token_file;  // absolute path (resolved) or empty
    std::string client_certificate;       // path
    std::string client_certificate_data;  // decoded PEM
    std::string client_key;               // path
    std::string client_key_data;          // decoded PEM; never logged
    bool has_basic_auth = false;          // username/password
    std::optional<ExecConfig> exec;
    std::optional<std::string> auth_provider;  // its name
    Impersonation impersonate;                 // as, as-uid, as-groups, as-user-extra
};

struct KubeconfigContext {
    std::string origin;
    std::string cluster;
    std::string user;
    std::string namespace_;
};

struct Kubeconfig {
    std::map<std::string, KubeconfigCluster> clusters;
    std::map<std::string, KubeconfigUser> users;
    std::map<std::string, KubeconfigContext> contexts;
    std::string current_context;
};

// One file. Errors name the file and the entry/field ("kubeconfig /x: users[0] (\"u\"): ...").
Result<Kubeconfig> parse_kubeconfig_file(std::string const& path);
// Same, from text already read; `path` names the origin and anchors relative paths.
Result<Kubeconfig> parse_kubeconfig_text(std::string const& text, std::string const& path);

// Selects `context` (or current-context) and builds the RestConfig: reads the files it names,
// checks PEM material, applies the https-only and no-insecure rules. `source` names the
// kubeconfig in errors ("kubeconfig /path").
Result<RestConfig> resolve_kubeconfig(Kubeconfig const& kubeconfig, std::string const& context,
                                      std::string const& source);

}  // namespace gic::kube

namespace gic::kube {

// clientcmd's merge of several files, in order: a named cluster, user or context is taken whole
// from the first file that defines it; the first non-empty current-context wins.
Kubeconfig merge_kubeconfigs(std::vector<Kubeconfig> const& files);

// No cluster, user, context or current-context: what clientcmd calls an empty config (all
// KUBECONFIG files missing, or empty files), after which client-go's deferred loader uses the
// in-cluster configuration when it is possible.
bool kubeconfig_is_empty(Kubeconfig const& kubeconfig);

// The files `locations` selects (see KubeconfigLocations), parsed and merged. `source` receives
// "kubeconfig <path>" or "kubeconfig <p1>:<p2> (KUBECONFIG)" for messages. When none of the
// KUBECONFIG files exists the model is empty (kubeconfig_is_empty) and `source` is
// "KUBECONFIG=<value>".
Result<Kubeconfig> load_kubeconfig_model(KubeconfigLocations const& locations, std::string& source);

}  // namespace gic::kube
