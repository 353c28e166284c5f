// Kubeconfig model + context → RestConfig (clientcmd's ClientConfig, validation.go).

#include "kube/exec_credential.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/pem_check.hpp"
#include "kube/proxy.hpp"
#include "observe/log.hpp"

namespace gic::kube {

namespace {

// PEM from `*-data` (wins, as in clientcmd) or from the file it names.
Result<std::string> pem_source(std::string const& data, std::string const& path, char const* field,
                               std::string const& location) {
    if (!data.empty()) return data;
    if (path.empty()) return std::string{};
    auto content = read_whole_file(path);
    if (!content) return wrap_error(location + ": " + field + " \"" + path + "\"", content.error());
    return *content;
}

// Names the field that supplied PEM material for messages.
std::string pem_field(std::string const& data, std::string const& path, char const* field) {
    return data.empty() ? std::string(field) + " \"" + path + "\"" : std::string(field) + "-data";
}

// With several files (KUBECONFIG) a stanza's own file is named, so the user knows which to edit.
std::string defined_in(std::string const& origin, std::string const& source) {
    if (origin.empty() || source == "kubeconfig " + origin) return {};
    return " (defined in " + origin + ")";
}

}  // namespace

Result<RestConfig> resolve_kubeconfig(Kubeconfig const& kubeconfig, std::string const& context_flag,
                                      std::string const& source) {
    std::string const context_name = context_flag.empty() ? kubeconfig.current_context : context_flag;
    if (context_name.empty()) {
        return make_error(source, "no context selected: current-context is not set and no --context was given");
    }
    std::string const ctx_where = source + ": context \"" + context_name + "\"";
    auto const ctx = kubeconfig.contexts.find(context_name);
    if (ctx == kubeconfig.contexts.end()) return make_error(ctx_where, "not found in contexts");

    KubeconfigContext const& context = ctx->second;
    if (context.cluster.empty()) return make_error(ctx_where + ": field \"cluster\"", "is empty");
    auto const cl = kubeconfig.clusters.find(context.cluster);
    if (cl == kubeconfig.clusters.end()) {
        return make_error(ctx_where + ": field \"cluster\"", "cluster \"" + context.cluster + "\" not found in clusters");
    }
    KubeconfigCluster const& cluster = cl->second;
    std::string const cluster_where =
        ctx_where + ": cluster \"" + context.cluster + "\"" + defined_in(cluster.origin, source);

    RestConfig config;
    config.origin = source + " (context " + context_name + ")";
    config.namespace_ = context.namespace_.empty() ? "default" : context.namespace_;

    if (cluster.server.empty()) return make_error(cluster_where + ": field \"server\"", "no server found for cluster");
    config.server = cluster.server;
    if (auto split = split_server_url(config); !split) {
        return wrap_error(cluster_where + ": field \"server\"", split.error());
    }
    if (!cluster.proxy_url.empty()) {
        // Checked now so that a socks5:// or malformed proxy fails at startup, naming the field.
        if (auto proxy = parse_proxy_url(cluster.proxy_url); !proxy) {
            return wrap_error(cluster_where + ": field \"proxy-url\"", proxy.error());
        }
        config.proxy_url = cluster.proxy_url;
    }
    config.tls_server_name = cluster.tls_server_name;

    auto ca = pem_source(cluster.certificate_authority_data, cluster.certificate_authority, "certificate-authority",
                         cluster_where);
    if (!ca) return ca.error();
    if (cluster.insecure_skip_tls_verify) {
        // clientcmd's rule: a CA and the insecure flag together are a contradiction.
        if (!ca->empty()) {
            return make_error(cluster_where + ": field \"insecure-skip-tls-verify\"",
                              "specifying a root certificates file with the insecure flag is not allowed: remove "
                              "insecure-skip-tls-verify or the certificate authority");
        }
        observe::log_warning("kube",
                             "INSECURE: insecure-skip-tls-verify is set, the API server's certificate is NOT verified "
                             "and credentials may be sent to an impostor; set certificate-authority instead",
                             {{"kubeconfig", cluster.origin}, {"cluster", context.cluster}, {"server", config.server}});
        config.insecure_skip_tls_verify = true;
    } else if (ca->empty()) {
        // No CA: the server is verified against the system trust store, as client-go does
        // (config.ca_pem stays empty; HttpsConnection loads OpenSSL's default paths).
    } else {
        auto checked = parse_certificates_pem(*ca);
        if (!checked) {
            return wrap_error(cluster_where + ": " +
                                  pem_field(cluster.certificate_authority_data, cluster.certificate_authority,
                                            "certificate-authority"),
                              checked.error());
        }
        config.ca_pem = std::move(*ca);
        config.ca_certs = std::move(*checked);
    }

    if (context.user.empty()) return config;  // anonymous, as clientcmd allows
    auto const us = kubeconfig.users.find(context.user);
    if (us == kubeconfig.users.end()) {
        return make_error(ctx_where + ": field \"user\"", "user \"" + context.user + "\" not found in users");
    }
    KubeconfigUser const& user = us->second;
    std::string const user_where = ctx_where + ": user \"" + context.user + "\"" + defined_in(user.origin, source);

    if (user.exec && user.auth_provider) {
        return make_error(user_where, "exec and auth-provider are mutually exclusive");
    }
    if (user.auth_provider) {
        return make_error(user_where + ": field \"auth-provider\"",
                          "auth-provider \"" + *user.auth_provider + "\" is not supported, use an exec plugin");
    }
    if (user.has_basic_auth) {
        return make_error(user_where + ": fields \"username\"/\"password\"", "basic authentication is not supported");
    }

    // clientcmd validation: uid, groups or extra need a user to impersonate.
    if (user.impersonate.user.empty() &&
        (!user.impersonate.uid.empty() || !user.impersonate.groups.empty() || !user.impersonate.extra.empty())) {
        return make_error(user_where, "as-uid, as-groups or as-user-extra is set without as (the user to impersonate)");
    }
    config.impersonate = user.impersonate;

    // client-go's exec Authenticator.UpdateTransportConfig: a token, token file or client
    // certificate in the same user entry wins, and the plugin is not run at all.
    bool const has_static_credentials = !user.token.empty() || !user.token_file.empty() ||
                                        !user.client_certificate.empty() || !user.client_certificate_data.empty();
    if (user.exec && has_static_credentials) {
        observe::log_info("kube", "the user has static credentials and an exec plugin; the static credentials are "
                                  "used and the plugin is not run, as kubectl does",
                          {{"user", context.user}, {"kubeconfig", user.origin}});
    } else if (user.exec) {
        if (auto valid = validate_exec_config(*user.exec); !valid) {
            return wrap_error(user_where + ": exec", valid.error());
        }
        ExecClusterInfo info{config.server,        cluster.tls_server_name, cluster.insecure_skip_tls_verify,
                             config.ca_pem,        cluster.proxy_url,       cluster.exec_extension_json};
        config.credential_provider = std::make_shared<ExecCredentialProvider>(
            *user.exec, std::move(info), "kubeconfig " + user.origin + ", user \"" + context.user + "\"");
    }

    config.bearer_token = user.token;
    if (!user.token_file.empty()) {
        // Read now so that a wrong path fails at startup; the client re-reads it later.
        auto token = read_whole_file(user.token_file);
        if (!token) return wrap_error(user_where + ": field \"tokenFile\" \"" + user.token_file + "\"", token.error());
        std::string trimmed = trim_whitespace(*token);
        if (trimmed.empty()) {
            return make_error(user_where + ": field \"tokenFile\" \"" + user.token_file + "\"", "the file is empty");
        }
        if (config.bearer_token.empty()) config.bearer_token = std::move(trimmed);
        config.token_file = user.token_file;
    }

    auto cert = pem_source(user.client_certificate_data, user.client_certificate, "client-certificate", user_where);
    if (!cert) return cert.error();
    auto key = pem_source(user.client_key_data, user.client_key, "client-key", user_where);
    if (!key) return key.error();
    if (!cert->empty() && key->empty()) {
        return make_error(user_where, "client-certificate is set but client-key is not (both or neither)");
    }
    if (cert->empty() && !key->empty()) {
        return make_error(user_where, "client-key is set but client-certificate is not (both or neither)");
    }
    if (!cert->empty()) {
        if (auto checked = check_certificates_pem(*cert); !checked) {
            return wrap_error(
                user_where + ": " + pem_field(user.client_certificate_data, user.client_certificate, "client-certificate"),
                checked.error());
        }
        if (auto checked = check_private_key_pem(*key); !checked) {
            return wrap_error(user_where + ": " + pem_field(user.client_key_data, user.client_key, "client-key"),
                              checked.error());
        }
        config.client_cert_pem = std::move(*cert);
        config.client_key_pem = std::move(*key);
    }
    return config;
}

Result<RestConfig> load_kubeconfig(std::string const& path, std::string const& context) {
    auto model = parse_kubeconfig_file(path);
    if (!model) return model.error();
    return resolve_kubeconfig(*model, context, "kubeconfig " + path);
}

}  // namespace gic::kube
