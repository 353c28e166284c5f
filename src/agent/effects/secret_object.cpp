#include "agent/effects/secret_object.hpp"

#include "util/base64.hpp"
#include "util/time_format.hpp"

namespace gic::agent {
namespace {

Result<std::string> data_value(kube::Secret const& secret, char const* key) {
    auto it = secret.data.find(key);
    if (it == secret.data.end()) return std::string{};
    auto decoded = util::base64_decode(it->second);
    if (!decoded) return make_error(std::string("data[") + key + "] is not valid base64");
    return std::move(*decoded);
}

}  // namespace

std::map<std::string, std::string> describe_annotations(KeyedChain const& issued, std::string const& spiffe_id,
                                                        std::string const& writer) {
    auto const& leaf = issued.chain.leaf();
    std::string p = annotation_prefix;
    return {
        {p + "spiffe-id", spiffe_id},
        {p + "serial", leaf.serial_hex()},
        {p + "not-after", util::format_rfc3339(leaf.not_after())},
        {p + "written-by", writer},
    };
}

kube::Secret make_tls_secret(std::string const& namespace_, std::string const& name, TlsMaterial const& material,
                             std::map<std::string, std::string> const& annotations) {
    kube::Secret secret;
    secret.metadata.name = name;
    secret.metadata.namespace_ = namespace_;
    apply_tls_material(secret, material, annotations);
    return secret;
}

void apply_tls_material(kube::Secret& secret, TlsMaterial const& material,
                        std::map<std::string, std::string> const& annotations) {
    secret.metadata.labels[managed_by_label] = managed_by_value;
    for (auto const& [k, v] : annotations) secret.metadata.annotations[k] = v;
    secret.type = tls_secret_type;
    secret.data["tls.crt"] = util::base64_encode(material.chain_pem);
    secret.data["tls.key"] = util::base64_encode(material.key_pem);
    secret.data["ca.crt"] = util::base64_encode(material.roots_pem);
}

std::string secret_type(kube::Secret const& secret) { return secret.type.empty() ? "Opaque" : secret.type; }

Result<TlsMaterial> read_tls_material(kube::Secret const& secret) {
    TlsMaterial m;
    auto crt = data_value(secret, "tls.crt");
    if (!crt) return crt.error();
    auto key = data_value(secret, "tls.key");
    if (!key) return key.error();
    auto ca = data_value(secret, "ca.crt");
    if (!ca) return ca.error();
    m.chain_pem = std::move(*crt);
    m.key_pem = std::move(*key);
    m.roots_pem = std::move(*ca);
    return m;
}

}  // namespace gic::agent
