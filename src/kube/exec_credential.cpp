// Exec credential plugins as client-go runs them (plugin/pkg/client/auth/exec/exec.go).

#include "kube/exec_credential.hpp"

#include "kube/async_mutex.hpp"
#include "kube/exec_process.hpp"
#include "kube/pem_check.hpp"
#include "observe/log.hpp"
#include "util/base64.hpp"
#include "util/time_format.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>

namespace gic::kube {

namespace json = boost::json;

namespace {

std::string one_line(std::string_view text) {
    std::string out = trim_whitespace(text);
    for (char& c : out) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    if (out.size() > 2000) out = out.substr(0, 2000) + "...";
    return out;
}

std::string string_field(json::object const& o, char const* key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string{};
}

}  // namespace

Result<void> validate_exec_config(ExecConfig const& exec) {
    if (exec.command.empty()) return make_error("field \"command\"", "is required");
    if (exec.api_version != exec_api_v1 && exec.api_version != exec_api_v1beta1) {
        return make_error("field \"apiVersion\"",
                          exec.api_version.empty()
                              ? std::string("is required (") + exec_api_v1 + " or " + exec_api_v1beta1 + ")"
                              : "invalid apiVersion \"" + exec.api_version + "\" (expected " + exec_api_v1 + " or " +
                                    exec_api_v1beta1 + ")");
    }
    auto const& mode = exec.interactive_mode;
    if (mode.empty()) {
        if (exec.api_version == exec_api_v1) {
            return make_error("field \"interactiveMode\"", "is required for " + std::string(exec_api_v1) +
                                                               " (Never, IfAvailable or Always)");
        }
    } else if (mode == "Always") {
        return make_error("field \"interactiveMode\"",
                          "Always needs a terminal, and this agent never runs the plugin interactively: use Never or "
                          "IfAvailable");
    } else if (mode != "Never" && mode != "IfAvailable") {
        return make_error("field \"interactiveMode\"",
                          "invalid value \"" + mode + "\" (Never, IfAvailable or Always)");
    }
    return {};
}

std::string exec_info_json(ExecConfig const& exec, std::optional<ExecClusterInfo> const& cluster) {
    json::object spec{{"interactive", false}};
    if (cluster) {
        json::object c{{"server", cluster->server}};
        if (!cluster->tls_server_name.empty()) c["tls-server-name"] = cluster->tls_server_name;
        if (cluster->insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
        if (!cluster->certificate_authority_pem.empty()) {
            c["certificate-authority-data"] = util::base64_encode(cluster->certificate_authority_pem);
        }
        if (!cluster->proxy_url.empty()) c["proxy-url"] = cluster->proxy_url;
        if (!cluster->config_json.empty()) {
            boost::system::error_code ec;
            auto config = json::parse(cluster->config_json, ec);
            if (!ec) c["config"] = std::move(config);
        }
        spec["cluster"] = std::move(c);
    }
    json::object info{{"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", std::move(spec)}};
    return json::serialize(info);
}

Result<Credentials> parse_exec_credential(std::string const& text, std::string const& api_version) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object()) {
        return make_error("output is not an ExecCredential JSON object" + (ec ? ": " + ec.message() : std::string{}));
    }
    auto const& o = value.as_object();
    std::string const got_version = string_field(o, "apiVersion");
    if (got_version != api_version) {
        return make_error("output has apiVersion \"" + got_version + "\", expected \"" + api_version +
                          "\" (the apiVersion in the kubeconfig)");
    }
    if (string_field(o, "kind") != "ExecCredential") {
        return make_error("output has kind \"" + string_field(o, "kind") + "\", expected \"ExecCredential\"");
    }
    auto const* status_value = o.if_contains("status");
    if (!status_value || !status_value->is_object()) return make_error("output has no \"status\"");
    auto const& status = status_value->as_object();

    Credentials creds;
    creds.bearer_token = string_field(status, "token");
    creds.client_cert_pem = string_field(status, "clientCertificateData");
    creds.client_key_pem = string_field(status, "clientKeyData");
    if (creds.client_cert_pem.empty() != creds.client_key_pem.empty()) {
        return make_error("output has only one of status.clientCertificateData and status.clientKeyData (both or neither)");
    }
    if (creds.bearer_token.empty() && creds.client_cert_pem.empty()) {
        return make_error("output has neither status.token nor status.clientCertificateData/clientKeyData");
    }
    if (!creds.client_cert_pem.empty()) {
        if (auto checked = check_certificates_pem(creds.client_cert_pem); !checked) {
            return wrap_error("status.clientCertificateData", checked.error());
        }
        if (auto checked = check_private_key_pem(creds.client_key_pem); !checked) {
            return wrap_error("status.clientKeyData", checked.error());
        }
    }
    if (auto const* expiry = status.if_contains("expirationTimestamp"); expiry && !expiry->is_null()) {
        if (!expiry->is_string()) return make_error("status.expirationTimestamp is not a string (an RFC 3339 time)");
        std::string const text(expiry->as_string());
        // Saturates past 2262, so 9999-12-31T23:59:59Z means "as late as can be", never an overflow.
        auto parsed = util::parse_rfc3339(text);
        if (!parsed) return make_error("status.expirationTimestamp \"" + one_line(text) + "\" is not an RFC 3339 time");
        creds.expires_at = *parsed;
    }
    return creds;
}

ExecCredentialProvider::ExecCredentialProvider(ExecConfig exec, ExecClusterInfo cluster, std::string origin, Clock clock)
    : exec_(std::move(exec)), cluster_(std::move(cluster)), origin_(std::move(origin)), clock_(std::move(clock)) {}

std::string ExecCredentialProvider::describe() const {
    return "exec plugin " + exec_.command + (origin_.empty() ? std::string{} : " (" + origin_ + ")");
}

bool ExecCredentialProvider::cached_usable() const {
    return cached_ && (!cached_->expires_at || clock_() < *cached_->expires_at);
}

boost::asio::awaitable<Result<Credentials>> ExecCredentialProvider::get() {
    if (cached_usable()) co_return *cached_;
    if (!mutex_) mutex_.emplace(co_await boost::asio::this_coro::executor);
    int const runs_before = runs_;
    auto guard = co_await mutex_->lock();
    // Another caller may have run the plugin while we waited: share what it got.
    if (cached_usable()) co_return *cached_;
    if (runs_ != runs_before && last_error_) co_return *last_error_;
    co_return co_await run_plugin();
}

boost::asio::awaitable<Result<Credentials>> ExecCredentialProvider::refresh_after_unauthorized(Credentials const& used) {
    Credentials const rejected = used;  // the caller's object may not outlive a suspension
    if (!mutex_) mutex_.emplace(co_await boost::asio::this_coro::executor);
    int const runs_before = runs_;
    auto guard = co_await mutex_->lock();
    if (cached_usable() && !(*cached_ == rejected)) co_return *cached_;  // already rotated
    if (runs_ != runs_before && last_error_) co_return *last_error_;
    cached_.reset();
    co_return co_await run_plugin();
}

boost::asio::awaitable<Result<Credentials>> ExecCredentialProvider::run_plugin() {
    ProcessSpec spec;
    spec.command = exec_.command;
    spec.args = exec_.args;
    spec.env = current_environment();
    auto set_env = [&](std::string const& name, std::string const& value) {
        for (auto& entry : spec.env) {
            if (entry.first == name) {
                entry.second = value;
                return;
            }
        }
        spec.env.emplace_back(name, value);
    };
    for (auto const& [name, value] : exec_.env) set_env(name, value);
    std::optional<ExecClusterInfo> cluster;
    if (exec_.provide_cluster_info) cluster = cluster_;
    set_env("KUBERNETES_EXEC_INFO", exec_info_json(exec_, cluster));

    spec.limits = limits_;

    ++runs_;
    last_error_.reset();  // a cancelled run leaves none: queued callers then run the plugin themselves
    observe::log_debug("kube", "running exec credential plugin", {{"command", exec_.command}, {"origin", origin_}});
    auto const outcome = co_await run_process(std::move(spec));
    auto result = finish_run(outcome);
    last_failure_transient_ = outcome && outcome->end == ProcessEnd::timed_out;
    if (result) {
        cached_ = *result;
        last_error_.reset();
    } else {
        last_error_ = result.error();
    }
    co_return result;
}

Result<Credentials> ExecCredentialProvider::finish_run(SpawnResult<ProcessOutcome> const& outcome) {
    if (!outcome) {
        auto const& failure = outcome.error();
        if (failure.errno_value == ENOENT) {
            std::string message = exec_.command.find('/') == std::string::npos
                                      ? "executable \"" + exec_.command + "\" not found in PATH"
                                      : "executable " + exec_.command + " not found";
            if (!exec_.install_hint.empty()) message += "; " + one_line(exec_.install_hint);
            return make_error(describe(), message);
        }
        return wrap_error(describe(), failure.error);
    }
    if (outcome->end != ProcessEnd::exited || outcome->exit_code != 0) {
        std::string how = describe_process_end(*outcome, limits_);
        if (outcome->end == ProcessEnd::timed_out) how += " (--exec-plugin-timeout)";
        std::string const err = one_line(outcome->err);
        return make_error(describe(), how + (err.empty() ? std::string(" (no stderr)") : "; stderr: " + err));
    }
    auto creds = parse_exec_credential(outcome->out, exec_.api_version);
    if (!creds) return wrap_error(describe(), creds.error());
    return creds;
}

}  // namespace gic::kube
