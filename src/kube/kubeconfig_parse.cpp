// Kubeconfig file → model (clientcmd's v1 types, loader.go ResolveLocalPaths).

#include "kube/kubeconfig.hpp"
#include "kube/pem_check.hpp"
#include "util/base64.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace gic::kube {

namespace {

// The location of one stanza in messages: `clusters[1] ("prod")`.
std::string where(char const* list, std::size_t index, std::string const& name) {
    std::string out = std::string(list) + "[" + std::to_string(index) + "]";
    if (!name.empty()) out += " (\"" + name + "\")";
    return out;
}

class StanzaReader {
public:
    StanzaReader(YAML::Node node, std::string location, std::filesystem::path const& base_dir)
        : node_(std::move(node)), location_(std::move(location)), base_dir_(base_dir) {}

    Result<std::string> string(char const* key) const {
        YAML::Node const value = node_[key];
        if (!value || value.IsNull()) return std::string{};
        if (!value.IsScalar()) return field_error(key, "must be a string");
        return value.Scalar();
    }

    Result<bool> boolean(char const* key) const {
        YAML::Node const value = node_[key];
        if (!value || value.IsNull()) return false;
        bool out = false;
        if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out)) return field_error(key, "must be true or false");
        return out;
    }

    // A `*-data` field: base64 of the bytes (Go []byte in YAML).
    Result<std::string> data(char const* key) const {
        auto text = string(key);
        if (!text) return text.error();
        std::string compact;
        for (char c : *text) {
            if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
        }
        if (compact.empty()) return std::string{};
        auto decoded = util::base64_decode(compact);
        if (!decoded) return field_error(key, "is not valid base64");
        return *decoded;
    }

    // A file reference: relative paths are relative to the kubeconfig's directory.
    Result<std::string> path(char const* key) const {
        auto text = string(key);
        if (!text || text->empty()) return text;
        std::filesystem::path p(*text);
        if (p.is_absolute()) return *text;
        return (base_dir_ / p).lexically_normal().string();
    }

    Error field_error(char const* key, std::string const& detail) const {
        return make_error(location_ + ": field \"" + key + "\"", detail);
    }

    YAML::Node const& node() const { return node_; }
    std::string const& location() const { return location_; }

private:
    YAML::Node node_;
    std::string location_;
    std::filesystem::path base_dir_;
};

// Field accessors that stop at the first error, to keep the parsers flat.
#define GIC_TRY_ASSIGN(target, expr)            \
    do {                                        \
        auto gic_result_ = (expr);              \
        if (!gic_result_) return gic_result_.error(); \
        target = std::move(*gic_result_);       \
    } while (false)

// YAML as the JSON it stands for (runtime.RawExtension from YAML): plain scalars that read as
// null, booleans or numbers become those; quoted scalars stay strings.
boost::json::value yaml_to_json(YAML::Node const& node) {
    if (!node || node.IsNull()) return nullptr;
    if (node.IsSequence()) {
        boost::json::array out;
        for (auto const& item : node) out.push_back(yaml_to_json(item));
        return out;
    }
    if (node.IsMap()) {
        boost::json::object out;
        for (auto const& entry : node) out[entry.first.Scalar()] = yaml_to_json(entry.second);
        return out;
    }
    std::string const& text = node.Scalar();
    if (node.Tag() == "?") {  // plain, not quoted
        bool b = false;
        if (YAML::convert<bool>::decode(node, b) && (text == "true" || text == "false")) return b;
        long long i = 0;
        if (YAML::convert<long long>::decode(node, i)) return i;
        double d = 0;
        if (text.find_first_of("0123456789") != std::string::npos && YAML::convert<double>::decode(node, d)) return d;
    }
    return boost::json::string(text);
}

Result<KubeconfigCluster> parse_cluster(StanzaReader const& r, std::string const& origin) {
    KubeconfigCluster c;
    c.origin = origin;
    GIC_TRY_ASSIGN(c.server, r.string("server"));
    GIC_TRY_ASSIGN(c.tls_server_name, r.string("tls-server-name"));
    GIC_TRY_ASSIGN(c.insecure_skip_tls_verify, r.boolean("insecure-skip-tls-verify"));
    GIC_TRY_ASSIGN(c.certificate_authority, r.path("certificate-authority"));
    GIC_TRY_ASSIGN(c.certificate_authority_data, r.data("certificate-authority-data"));
    GIC_TRY_ASSIGN(c.proxy_url, r.string("proxy-url"));
    // clientcmd's named extensions; the exec plugin's is handed to it with provideClusterInfo.
    if (YAML::Node const extensions = r.node()["extensions"]; extensions && !extensions.IsNull()) {
        if (!extensions.IsSequence()) return r.field_error("extensions", "must be a list of {name, extension}");
        for (auto const& item : extensions) {
            if (!item.IsMap() || !item["name"] || !item["name"].IsScalar())
                return r.field_error("extensions", "must be a list of {name, extension}");
            if (item["name"].Scalar() != "client.authentication.k8s.io/exec") continue;
            c.exec_extension_json = boost::json::serialize(yaml_to_json(item["extension"]));
        }
    }
    return c;
}

Result<ExecConfig> parse_exec(StanzaReader const& r, std::filesystem::path const& base_dir) {
    ExecConfig e;
    GIC_TRY_ASSIGN(e.command, r.string("command"));
    // clientcmd resolves a command containing a path separator; a bare name is looked up in PATH.
    if (e.command.find('/') != std::string::npos && !std::filesystem::path(e.command).is_absolute()) {
        e.command = (base_dir / e.command).lexically_normal().string();
    }
    GIC_TRY_ASSIGN(e.api_version, r.string("apiVersion"));
    GIC_TRY_ASSIGN(e.install_hint, r.string("installHint"));
    GIC_TRY_ASSIGN(e.provide_cluster_info, r.boolean("provideClusterInfo"));
    GIC_TRY_ASSIGN(e.interactive_mode, r.string("interactiveMode"));
    if (YAML::Node const args = r.node()["args"]; args && !args.IsNull()) {
        if (!args.IsSequence()) return r.field_error("args", "must be a list of strings");
        for (auto const& arg : args) {
            if (!arg.IsScalar()) return r.field_error("args", "must be a list of strings");
            e.args.push_back(arg.Scalar());
        }
    }
    if (YAML::Node const env = r.node()["env"]; env && !env.IsNull()) {
        if (!env.IsSequence()) return r.field_error("env", "must be a list of {name, value}");
        for (auto const& item : env) {
            if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) {
                return r.field_error("env", "must be a list of {name, value}");
            }
            std::string value = item["value"] && item["value"].IsScalar() ? item["value"].Scalar() : std::string{};
            e.env.emplace_back(item["name"].Scalar(), std::move(value));
        }
    }
    return e;
}

Result<KubeconfigUser> parse_user(StanzaReader const& r, std::string const& origin,
                                  std::filesystem::path const& base_dir) {
    KubeconfigUser u;
    u.origin = origin;
    GIC_TRY_ASSIGN(u.token, r.string("token"));
    GIC_TRY_ASSIGN(u.token_file, r.path("tokenFile"));
    GIC_TRY_ASSIGN(u.client_certificate, r.path("client-certificate"));
    GIC_TRY_ASSIGN(u.client_certificate_data, r.data("client-certificate-data"));
    GIC_TRY_ASSIGN(u.client_key, r.path("client-key"));
    GIC_TRY_ASSIGN(u.client_key_data, r.data("client-key-data"));
    std::string username;
    std::string password;
    GIC_TRY_ASSIGN(username, r.string("username"));
    GIC_TRY_ASSIGN(password, r.string("password"));
    u.has_basic_auth = !username.empty() || !password.empty();
    if (YAML::Node const exec = r.node()["exec"]; exec && !exec.IsNull()) {
        if (!exec.IsMap()) return r.field_error("exec", "must be a mapping");
        GIC_TRY_ASSIGN(u.exec, parse_exec(StanzaReader(exec, r.location() + ".exec", base_dir), base_dir));
    }
    GIC_TRY_ASSIGN(u.impersonate.user, r.string("as"));
    GIC_TRY_ASSIGN(u.impersonate.uid, r.string("as-uid"));
    if (YAML::Node const groups = r.node()["as-groups"]; groups && !groups.IsNull()) {
        if (!groups.IsSequence()) return r.field_error("as-groups", "must be a list of strings");
        for (auto const& group : groups) {
            if (!group.IsScalar()) return r.field_error("as-groups", "must be a list of strings");
            u.impersonate.groups.push_back(group.Scalar());
        }
    }
    if (YAML::Node const extra = r.node()["as-user-extra"]; extra && !extra.IsNull()) {
        if (!extra.IsMap()) return r.field_error("as-user-extra", "must be a mapping of keys to lists of strings");
        for (auto const& entry : extra) {
            if (!entry.first.IsScalar() || !entry.second.IsSequence()) {
                return r.field_error("as-user-extra", "must be a mapping of keys to lists of strings");
            }
            for (auto const& value : entry.second) {
                if (!value.IsScalar()) return r.field_error("as-user-extra", "must be a mapping of keys to lists of strings");
                u.impersonate.extra.emplace_back(entry.first.Scalar(), value.Scalar());
            }
        }
    }
    if (YAML::Node const provider = r.node()["auth-provider"]; provider && !provider.IsNull()) {
        if (!provider.IsMap()) return r.field_error("auth-provider", "must be a mapping");
        std::string name;
        GIC_TRY_ASSIGN(name, StanzaReader(provider, r.location() + ".auth-provider", base_dir).string("name"));
        u.auth_provider = name;
    }
    return u;
}

Result<KubeconfigContext> parse_context(StanzaReader const& r, std::string const& origin) {
    KubeconfigContext c;
    c.origin = origin;
    GIC_TRY_ASSIGN(c.cluster, r.string("cluster"));
    GIC_TRY_ASSIGN(c.user, r.string("user"));
    GIC_TRY_ASSIGN(c.namespace_, r.string("namespace"));
    return c;
}

// Walks `clusters`, `users` or `contexts`: a list of {name, <inner>}.
template <class Stanza, class Parse>
Result<void> parse_named_list(YAML::Node const& root, char const* list, char const* inner,
                              std::map<std::string, Stanza>& out, Parse parse, std::filesystem::path const& base_dir) {
    YAML::Node const items = root[list];
    if (!items || items.IsNull()) return {};
    if (!items.IsSequence()) return make_error(std::string("field \"") + list + "\"", "must be a list");
    std::size_t index = 0;
    for (auto const& item : items) {
        std::string name;
        if (item.IsMap() && item["name"] && item["name"].IsScalar()) name = item["name"].Scalar();
        std::string const location = where(list, index++, name);
        if (!item.IsMap()) return make_error(location, "must be a mapping with \"name\" and \"" + std::string(inner) + "\"");
        if (name.empty()) return make_error(location, "field \"name\" is missing");
        if (out.count(name)) return make_error(location, "duplicate name \"" + name + "\" in " + list);
        YAML::Node const body = item[inner];
        if (body && !body.IsNull() && !body.IsMap()) {
            return make_error(location, "field \"" + std::string(inner) + "\" must be a mapping");
        }
        // A missing body is an empty stanza; resolve reports the missing fields.
        auto stanza = parse(StanzaReader(body ? body : YAML::Node(YAML::NodeType::Map), location, base_dir));
        if (!stanza) return stanza.error();
        out.emplace(name, std::move(*stanza));
    }
    return {};
}

#undef GIC_TRY_ASSIGN

}  // namespace

Result<Kubeconfig> parse_kubeconfig_text(std::string const& text, std::string const& path) {
    std::string const source = "kubeconfig " + path;
    std::filesystem::path const base_dir = std::filesystem::absolute(path).parent_path();
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (YAML::Exception const& e) {
        return make_error(source, std::string("invalid YAML: ") + e.what());
    }

    Kubeconfig model;
    if (!root || root.IsNull()) return model;  // an empty file is an empty config, as in clientcmd
    if (!root.IsMap()) return make_error(source, "not a kubeconfig (expected a YAML mapping at the top)");
    try {
        auto cluster = [&](StanzaReader const& r) { return parse_cluster(r, path); };
        auto user = [&](StanzaReader const& r) { return parse_user(r, path, base_dir); };
        auto context = [&](StanzaReader const& r) { return parse_context(r, path); };
        if (auto r = parse_named_list(root, "clusters", "cluster", model.clusters, cluster, base_dir); !r) {
            return wrap_error(source, r.error());
        }
        if (auto r = parse_named_list(root, "users", "user", model.users, user, base_dir); !r) {
            return wrap_error(source, r.error());
        }
        if (auto r = parse_named_list(root, "contexts", "context", model.contexts, context, base_dir); !r) {
            return wrap_error(source, r.error());
        }
        if (YAML::Node const current = root["current-context"]; current && !current.IsNull()) {
            if (!current.IsScalar()) return make_error(source + ": field \"current-context\"", "must be a string");
            model.current_context = current.Scalar();
        }
    } catch (YAML::Exception const& e) {
        return make_error(source, std::string("invalid kubeconfig: ") + e.what());
    }
    return model;
}

Result<Kubeconfig> parse_kubeconfig_file(std::string const& path) {
    auto text = read_whole_file(path);
    if (!text) return wrap_error("kubeconfig " + path, text.error());
    return parse_kubeconfig_text(*text, path);
}

}  // namespace gic::kube
