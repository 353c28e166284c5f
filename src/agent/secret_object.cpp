#include "agent/secret_object.hpp"

#include "util/base64.hpp"
#include "util/time_format.hpp"

namespace gic::agent {
namespace {

boost::json::object& child_object(boost::json::object& parent, char const* key) {
    auto& v = parent[key];
    if (!v.is_object()) v = boost::json::object{};
    return v.get_object();
}

Result<std::string> data_value(boost::json::object const& data, char const* key) {
    auto it = data.find(key);
    if (it == data.end() || it->value().is_null()) return std::string{};
    if (!it->value().is_string()) return make_error(std::string("data[") + key + "] is not a string");
    auto decoded = util::base64_decode(it->value().get_string());
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

boost::json::object make_tls_secret(std::string const& namespace_, std::string const& name, TlsMaterial const& material,
                                    std::map<std::string, std::string> const& annotations) {
    boost::json::object secret{
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata", boost::json::object{{"name", name}, {"namespace", namespace_}}},
        {"type", tls_secret_type},
    };
    apply_tls_material(secret, material, annotations);
    return secret;
}

void apply_tls_material(boost::json::object& secret, TlsMaterial const& material,
                        std::map<std::string, std::string> const& annotations) {
    auto& metadata = child_object(secret, "metadata");
    child_object(metadata, "labels")[managed_by_label] = managed_by_value;
    auto& annotation_object = child_object(metadata, "annotations");
    for (auto const& [k, v] : annotations) annotation_object[k] = v;
    secret["type"] = tls_secret_type;
    auto& data = child_object(secret, "data");
    data["tls.crt"] = util::base64_encode(material.chain_pem);
    data["tls.key"] = util::base64_encode(material.key_pem);
    data["ca.crt"] = util::base64_encode(material.roots_pem);
}

std::string secret_type(boost::json::object const& secret) {
    auto it = secret.find("type");
    if (it == secret.end() || !it->value().is_string() || it->value().get_string().empty()) return "Opaque";
    return std::string(it->value().get_string());
}

Result<TlsMaterial> read_tls_material(boost::json::object const& secret) {
    TlsMaterial m;
    auto it = secret.find("data");
    if (it == secret.end() || !it->value().is_object()) return m;
    auto const& data = it->value().get_object();
    auto crt = data_value(data, "tls.crt");
    if (!crt) return crt.error();
    auto key = data_value(data, "tls.key");
    if (!key) return key.error();
    auto ca = data_value(data, "ca.crt");
    if (!ca) return ca.error();
    m.chain_pem = std::move(*crt);
    m.key_pem = std::move(*key);
    m.roots_pem = std::move(*ca);
    return m;
}

}  // namespace gic::agent
