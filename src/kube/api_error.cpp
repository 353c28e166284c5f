// One-line descriptions of failed API calls for operators.

#include "kube/api_error.hpp"

namespace gic::kube {

namespace {

std::string object_name(ApiError const& e) {
    if (e.name.empty()) return e.namespace_.empty() ? std::string{} : " in namespace \"" + e.namespace_ + "\"";
    return " \"" + (e.namespace_.empty() ? e.name : e.namespace_ + "/" + e.name) + "\"";
}

}  // namespace

std::string ApiError::describe() const {
    if (code == 403) {
        std::string scope = namespace_.empty() ? std::string("cluster-wide") : "in namespace \"" + namespace_ + "\"";
        return "forbidden: RBAC must allow verb \"" + verb + "\" on \"" + resource + "\" " + scope + " (apiGroup \"" +
               api_group + "\"): " + message;
    }
    if (code == 401) {
        std::string text = "unauthorized by " + server + ": check the service-account token or kubeconfig credentials";
        if (!credentials.empty()) text += " (" + credentials + ")";
        if (!message.empty()) text += ": " + message;
        return text;
    }
    std::string text = verb + " " + resource + object_name(*this);
    if (code == 0) return text + ": " + message;  // transport messages name the server
    text += ": " + std::to_string(code) + " " + reason + ": " + message;
    if (retry_after) text += " (retry after " + std::to_string(retry_after->count()) + "s)";
    return text;
}

}  // namespace gic::kube
