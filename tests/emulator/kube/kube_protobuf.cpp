#include "kube_protobuf.hpp"

#include "protobuf_wire.hpp"
#include "util/base64.hpp"

#include <string>

namespace gic::emu::kube {

namespace json = boost::json;
using pb::Field;
using pb::WireType;

namespace {

constexpr std::string_view magic{"k8s\0", 4};

Error field_error(std::string const& message, std::uint32_t field, std::string const& what) {
    return make_error("protobuf " + message + ": field " + std::to_string(field), what);
}

Result<std::string_view> expect_bytes(Field const& f, std::string const& message) {
    if (f.type != WireType::length_delimited) return field_error(message, f.number, "expected length-delimited");
    return f.bytes;
}

Result<std::uint64_t> expect_varint(Field const& f, std::string const& message) {
    if (f.type != WireType::varint) return field_error(message, f.number, "expected varint");
    return f.varint;
}

// A map<string, string|bytes> entry: {1 key, 2 value}.
Result<std::pair<std::string, std::string>> decode_map_entry(std::string_view bytes, std::string const& message) {
    auto fields = pb::parse_message(bytes);
    if (!fields) return wrap_error(message + " map entry", fields.error());
    std::pair<std::string, std::string> kv;
    for (auto const& f : *fields) {
        if (f.number != 1 && f.number != 2) continue;
        auto b = expect_bytes(f, message + " map entry");
        if (!b) return b.error();
        (f.number == 1 ? kv.first : kv.second) = std::string(*b);
    }
    return kv;
}

Result<json::object> decode_object_meta(std::string_view bytes) {
    auto fields = pb::parse_message(bytes);
    if (!fields) return wrap_error("ObjectMeta", fields.error());
    json::object meta;
    json::object labels, annotations;
    json::array finalizers;
    static constexpr std::pair<std::uint32_t, char const*> strings[] = {
        {1, "name"}, {2, "generateName"}, {3, "namespace"}, {5, "uid"}, {6, "resourceVersion"}};
    for (auto const& f : *fields) {
        bool handled = false;
        for (auto const& [num, key] : strings) {
            if (f.number != num) continue;
            auto b = expect_bytes(f, "ObjectMeta");
            if (!b) return b.error();
            if (!b->empty()) meta[key] = *b;
            handled = true;
        }
        if (handled) continue;
        if (f.number == 11 || f.number == 12) {
            auto b = expect_bytes(f, "ObjectMeta");
            if (!b) return b.error();
            auto kv = decode_map_entry(*b, f.number == 11 ? "ObjectMeta.labels" : "ObjectMeta.annotations");
            if (!kv) return kv.error();
            (f.number == 11 ? labels : annotations)[kv->first] = kv->second;
        } else if (f.number == 14) {
            auto b = expect_bytes(f, "ObjectMeta");
            if (!b) return b.error();
            finalizers.emplace_back(*b);
        }
    }
    if (!labels.empty()) meta["labels"] = std::move(labels);
    if (!annotations.empty()) meta["annotations"] = std::move(annotations);
    if (!finalizers.empty()) meta["finalizers"] = std::move(finalizers);
    return meta;
}

Result<json::object> decode_secret(std::vector<Field> const& fields) {
    json::object obj;
    json::object data, string_data;
    for (auto const& f : fields) {
        if (f.number == 1) {
            auto b = expect_bytes(f, "Secret");
            if (!b) return b.error();
            auto meta = decode_object_meta(*b);
            if (!meta) return meta.error();
            obj["metadata"] = std::move(*meta);
        } else if (f.number == 2 || f.number == 4) {
            auto b = expect_bytes(f, "Secret");
            if (!b) return b.error();
            auto kv = decode_map_entry(*b, f.number == 2 ? "Secret.data" : "Secret.stringData");
            if (!kv) return kv.error();
            if (f.number == 2)
                data[kv->first] = util::base64_encode(kv->second);  // bytes on the wire, base64 in JSON
            else
                string_data[kv->first] = kv->second;
        } else if (f.number == 3) {
            auto b = expect_bytes(f, "Secret");
            if (!b) return b.error();
            if (!b->empty()) obj["type"] = *b;
        } else if (f.number == 5) {
            auto v = expect_varint(f, "Secret");
            if (!v) return v.error();
            obj["immutable"] = *v != 0;
        }
    }
    if (!data.empty()) obj["data"] = std::move(data);
    if (!string_data.empty()) obj["stringData"] = std::move(string_data);
    return obj;
}

Result<json::object> decode_config_map(std::vector<Field> const& fields) {
    json::object obj;
    json::object data, binary;
    for (auto const& f : fields) {
        if (f.number == 1) {
            auto b = expect_bytes(f, "ConfigMap");
            if (!b) return b.error();
            auto meta = decode_object_meta(*b);
            if (!meta) return meta.error();
            obj["metadata"] = std::move(*meta);
        } else if (f.number == 2 || f.number == 3) {
            auto b = expect_bytes(f, "ConfigMap");
            if (!b) return b.error();
            auto kv = decode_map_entry(*b, f.number == 2 ? "ConfigMap.data" : "ConfigMap.binaryData");
            if (!kv) return kv.error();
            if (f.number == 2)
                data[kv->first] = kv->second;
            else
                binary[kv->first] = util::base64_encode(kv->second);
        } else if (f.number == 4) {
            auto v = expect_varint(f, "ConfigMap");
            if (!v) return v.error();
            obj["immutable"] = *v != 0;
        }
    }
    if (!data.empty()) obj["data"] = std::move(data);
    if (!binary.empty()) obj["binaryData"] = std::move(binary);
    return obj;
}

// Decodes a message whose fields are all strings, with the given field-number → JSON key map.
template <std::size_t N>
Result<json::object> decode_strings(std::string_view bytes, std::string const& message,
                                    std::pair<std::uint32_t, char const*> const (&names)[N]) {
    auto fields = pb::parse_message(bytes);
    if (!fields) return wrap_error(message, fields.error());
    json::object out;
    for (auto const& f : *fields) {
        for (auto const& [num, key] : names) {
            if (f.number != num) continue;
            auto b = expect_bytes(f, message);
            if (!b) return b.error();
            if (!b->empty()) out[key] = *b;
        }
    }
    return out;
}

Result<json::object> decode_token_request(std::vector<Field> const& fields) {
    json::object obj;
    for (auto const& f : fields) {
        if (f.number == 1) {
            auto b = expect_bytes(f, "TokenRequest");
            if (!b) return b.error();
            auto meta = decode_object_meta(*b);
            if (!meta) return meta.error();
            obj["metadata"] = std::move(*meta);
        } else if (f.number == 2) {
            auto b = expect_bytes(f, "TokenRequest");
            if (!b) return b.error();
            auto spec_fields = pb::parse_message(*b);
            if (!spec_fields) return wrap_error("TokenRequest.spec", spec_fields.error());
            json::object spec;
            json::array audiences;
            for (auto const& sf : *spec_fields) {
                if (sf.number == 1) {
                    auto a = expect_bytes(sf, "TokenRequest.spec");
                    if (!a) return a.error();
                    audiences.emplace_back(*a);
                } else if (sf.number == 3) {
                    auto r = expect_bytes(sf, "TokenRequest.spec");
                    if (!r) return r.error();
                    static constexpr std::pair<std::uint32_t, char const*> ref[] = {
                        {1, "kind"}, {2, "apiVersion"}, {3, "name"}, {4, "uid"}};
                    auto bound = decode_strings(*r, "TokenRequest.spec.boundObjectRef", ref);
                    if (!bound) return bound.error();
                    spec["boundObjectRef"] = std::move(*bound);
                } else if (sf.number == 4) {
                    auto v = expect_varint(sf, "TokenRequest.spec");
                    if (!v) return v.error();
                    spec["expirationSeconds"] = static_cast<std::int64_t>(*v);
                }
            }
            if (!audiences.empty()) spec["audiences"] = std::move(audiences);
            obj["spec"] = std::move(spec);
        }
    }
    return obj;
}

Result<json::object> decode_ssar(std::vector<Field> const& fields) {
    json::object obj;
    for (auto const& f : fields) {
        if (f.number == 1) {
            auto b = expect_bytes(f, "SelfSubjectAccessReview");
            if (!b) return b.error();
            auto meta = decode_object_meta(*b);
            if (!meta) return meta.error();
            obj["metadata"] = std::move(*meta);
        } else if (f.number == 2) {
            auto b = expect_bytes(f, "SelfSubjectAccessReview");
            if (!b) return b.error();
            auto spec_fields = pb::parse_message(*b);
            if (!spec_fields) return wrap_error("SelfSubjectAccessReview.spec", spec_fields.error());
            json::object spec;
            for (auto const& sf : *spec_fields) {
                auto sb = expect_bytes(sf, "SelfSubjectAccessReview.spec");
                if (!sb) return sb.error();
                if (sf.number == 1) {
                    static constexpr std::pair<std::uint32_t, char const*> attrs[] = {
                        {1, "namespace"}, {2, "verb"}, {3, "group"}, {4, "version"},
                        {5, "resource"}, {6, "subresource"}, {7, "name"}};
                    auto ra = decode_strings(*sb, "SelfSubjectAccessReview.spec.resourceAttributes", attrs);
                    if (!ra) return ra.error();
                    spec["resourceAttributes"] = std::move(*ra);
                } else if (sf.number == 2) {
                    static constexpr std::pair<std::uint32_t, char const*> attrs[] = {{1, "path"}, {2, "verb"}};
                    auto na = decode_strings(*sb, "SelfSubjectAccessReview.spec.nonResourceAttributes", attrs);
                    if (!na) return na.error();
                    spec["nonResourceAttributes"] = std::move(*na);
                }
            }
            obj["spec"] = std::move(spec);
        }
    }
    return obj;
}

}  // namespace

Result<json::object> decode_kubernetes_protobuf(std::string_view body) {
    if (body.substr(0, magic.size()) != magic)
        return make_error("protobuf body does not start with the k8s\\0 envelope prefix");
    auto unknown = pb::parse_message(body.substr(magic.size()));
    if (!unknown) return wrap_error("runtime.Unknown", unknown.error());
    std::string api_version, kind;
    std::string_view raw;
    for (auto const& f : *unknown) {
        if (f.number == 1) {
            auto b = expect_bytes(f, "runtime.Unknown");
            if (!b) return b.error();
            static constexpr std::pair<std::uint32_t, char const*> tm[] = {{1, "apiVersion"}, {2, "kind"}};
            auto type_meta = decode_strings(*b, "runtime.Unknown.typeMeta", tm);
            if (!type_meta) return type_meta.error();
            if (auto* v = type_meta->if_contains("apiVersion")) api_version = v->as_string().c_str();
            if (auto* v = type_meta->if_contains("kind")) kind = v->as_string().c_str();
        } else if (f.number == 2) {
            auto b = expect_bytes(f, "runtime.Unknown");
            if (!b) return b.error();
            raw = *b;
        }
    }
    if (kind.empty()) return make_error("protobuf body has no kind in its type meta");
    auto fields = pb::parse_message(raw);
    if (!fields) return wrap_error(kind, fields.error());
    Result<json::object> obj = make_error("unreachable");
    if (kind == "Secret")
        obj = decode_secret(*fields);
    else if (kind == "ConfigMap")
        obj = decode_config_map(*fields);
    else if (kind == "TokenRequest")
        obj = decode_token_request(*fields);
    else if (kind == "SelfSubjectAccessReview")
        obj = decode_ssar(*fields);
    else
        return make_error("protobuf bodies of kind " + kind + " are not supported by the emulator; send JSON");
    if (!obj) return obj.error();
    (*obj)["apiVersion"] = api_version;
    (*obj)["kind"] = kind;
    return obj;
}

}  // namespace gic::emu::kube
