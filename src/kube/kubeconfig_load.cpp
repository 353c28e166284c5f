// Which kubeconfig files are read and how they merge (clientcmd loader.go: ClientConfigLoadingRules).

#include "kube/exec_credential.hpp"
#include "kube/kubeconfig.hpp"
#include "observe/log.hpp"

#include <boost/asio/this_coro.hpp>

#include <filesystem>
#include <set>
#include <system_error>

namespace gic::kube {

namespace {

std::vector<std::string> split_list(std::string const& list) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::size_t start = 0;
    for (;;) {
        auto const end = list.find(':', start);
        std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        // Empty entries are skipped and duplicates read once, as clientcmd does.
        if (!item.empty() && seen.insert(item).second) out.push_back(std::move(item));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

bool file_exists(std::string const& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec);
}

template <class Stanza>
void take_missing(std::map<std::string, Stanza>& into, std::map<std::string, Stanza> const& from) {
    for (auto const& [name, stanza] : from) into.emplace(name, stanza);  // emplace keeps the first
}

}  // namespace

Kubeconfig merge_kubeconfigs(std::vector<Kubeconfig> const& files) {
    Kubeconfig merged;
    for (auto const& file : files) {
        take_missing(merged.clusters, file.clusters);
        take_missing(merged.users, file.users);
        take_missing(merged.contexts, file.contexts);
        if (merged.current_context.empty()) merged.current_context = file.current_context;
    }
    return merged;
}

Result<Kubeconfig> load_kubeconfig_model(KubeconfigLocations const& locations, std::string& source) {
    if (!locations.explicit_path.empty()) {
        source = "kubeconfig " + locations.explicit_path;
        if (!file_exists(locations.explicit_path)) {
            return make_error(source + " (--kubeconfig)", "the file does not exist");
        }
        return parse_kubeconfig_file(locations.explicit_path);
    }
    if (!locations.kubeconfig_env.empty()) {
        auto const listed = split_list(locations.kubeconfig_env);
        std::vector<Kubeconfig> models;
        std::string present;
        for (auto const& path : listed) {
            if (!file_exists(path)) continue;
            auto model = parse_kubeconfig_file(path);  // an unparsable file is an error, not skipped
            if (!model) return model.error();
            models.push_back(std::move(*model));
            present += (present.empty() ? "" : ":") + path;
        }
        if (models.empty()) {
            // clientcmd skips missing files: the result is an empty config, not an error.
            source = "KUBECONFIG=" + locations.kubeconfig_env;
            return Kubeconfig{};
        }
        source = models.size() == 1 ? "kubeconfig " + present : "kubeconfig " + present + " (KUBECONFIG)";
        return merge_kubeconfigs(models);
    }
    if (locations.home.empty()) {
        source = "kubeconfig ~/.kube/config";
        return make_error(source, "HOME is not set");
    }
    std::string const path = (std::filesystem::path(locations.home) / ".kube" / "config").string();
    source = "kubeconfig " + path;
    if (!file_exists(path)) return make_error(source, "the file does not exist");
    return parse_kubeconfig_file(path);
}

bool kubeconfig_is_empty(Kubeconfig const& kubeconfig) {
    return kubeconfig.clusters.empty() && kubeconfig.users.empty() && kubeconfig.contexts.empty() &&
           kubeconfig.current_context.empty();
}

Result<RestConfig> load_kubeconfig(KubeconfigLocations const& locations, std::string const& context) {
    std::string source;
    auto model = load_kubeconfig_model(locations, source);
    if (!model) return model.error();
    if (locations.explicit_path.empty() && !locations.kubeconfig_env.empty() && kubeconfig_is_empty(*model) &&
        source.rfind("KUBECONFIG=", 0) == 0) {
        return make_error(source, "none of the listed files exists");
    }
    return resolve_kubeconfig(*model, context, source);
}

boost::asio::awaitable<Result<void>> complete_credentials(RestConfig& config) {
    if (!config.credential_provider) co_return Result<void>{};
    auto creds = co_await config.credential_provider->get();
    if (!creds) co_return creds.error();
    if (!creds->bearer_token.empty()) {
        config.bearer_token = creds->bearer_token;
        config.token_file.clear();  // the plugin's token, not the file's, is the one to send
    }
    if (!creds->client_cert_pem.empty()) {
        config.client_cert_pem = creds->client_cert_pem;
        config.client_key_pem = creds->client_key_pem;
    }
    co_return Result<void>{};
}

}  // namespace gic::kube
