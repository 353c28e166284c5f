#include "kube_protobuf.hpp"
#include "protobuf_builder.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::emu::kube;
using namespace gic::emu::kube::test;
namespace json = boost::json;

namespace {

// ObjectMeta with zero values emitted, as client-go does (empty strings, generation 0,
// an empty creationTimestamp message).
std::string object_meta(std::string const& name, std::string const& ns) {
    return bytes_field(1, name) + bytes_field(2, "") + bytes_field(3, ns) + bytes_field(4, "") + bytes_field(5, "") +
           bytes_field(6, "") + varint_field(7, 0) + bytes_field(8, "") + map_entry(11, "app", "demo") +
           map_entry(12, "note", "x");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_protobuf)

BOOST_AUTO_TEST_CASE(decodes_a_generic_secret_with_raw_bytes_as_base64) {
    std::string secret = bytes_field(1, object_meta("demo", "ns1")) + map_entry(2, "a", "b") +
                         map_entry(2, "bin", std::string("\x00\xff", 2)) + bytes_field(3, "");
    auto obj = decode_kubernetes_protobuf(envelope("v1", "Secret", secret));
    BOOST_TEST_REQUIRE(obj.has_value(), (obj ? "" : obj.error().message));
    BOOST_TEST(obj->at("kind").as_string() == "Secret");
    BOOST_TEST(obj->at("apiVersion").as_string() == "v1");
    auto const& meta = obj->at("metadata").as_object();
    BOOST_TEST(meta.at("name").as_string() == "demo");
    BOOST_TEST(meta.at("namespace").as_string() == "ns1");
    BOOST_TEST(!meta.contains("resourceVersion"));  // empty means unset
    BOOST_TEST(!meta.contains("uid"));
    BOOST_TEST(meta.at("labels").at("app").as_string() == "demo");
    BOOST_TEST(meta.at("annotations").at("note").as_string() == "x");
    BOOST_TEST(obj->at("data").at("a").as_string() == "Yg==");
    BOOST_TEST(obj->at("data").at("bin").as_string() == "AP8=");
    BOOST_TEST(!obj->contains("type"));  // generic sends an empty type; the server defaults it
}

BOOST_AUTO_TEST_CASE(decodes_secret_type_string_data_and_immutable) {
    std::string secret = bytes_field(1, object_meta("t", "")) + bytes_field(3, "kubernetes.io/tls") +
                         map_entry(4, "s", "plain") + varint_field(5, 1);
    auto obj = decode_kubernetes_protobuf(envelope("v1", "Secret", secret));
    BOOST_TEST_REQUIRE(obj.has_value());
    BOOST_TEST(obj->at("type").as_string() == "kubernetes.io/tls");
    BOOST_TEST(obj->at("stringData").at("s").as_string() == "plain");
    BOOST_TEST(obj->at("immutable").as_bool());
}

BOOST_AUTO_TEST_CASE(decodes_a_config_map) {
    std::string cm = bytes_field(1, object_meta("cm1", "ns1")) + map_entry(2, "k", "v") +
                     map_entry(3, "b", std::string("\x01\x02", 2));
    auto obj = decode_kubernetes_protobuf(envelope("v1", "ConfigMap", cm));
    BOOST_TEST_REQUIRE(obj.has_value());
    BOOST_TEST(obj->at("data").at("k").as_string() == "v");
    BOOST_TEST(obj->at("binaryData").at("b").as_string() == "AQI=");
}

BOOST_AUTO_TEST_CASE(decodes_a_token_request) {
    std::string spec = bytes_field(1, "istio-ca") + bytes_field(1, "other") +
                       bytes_field(3, bytes_field(1, "Pod") + bytes_field(2, "v1") + bytes_field(3, "p") +
                                          bytes_field(4, "u-1")) +
                       varint_field(4, 1200);
    std::string tr = bytes_field(1, "") + bytes_field(2, spec) + bytes_field(3, "");
    auto obj = decode_kubernetes_protobuf(envelope("authentication.k8s.io/v1", "TokenRequest", tr));
    BOOST_TEST_REQUIRE(obj.has_value());
    auto const& s = obj->at("spec").as_object();
    BOOST_TEST(s.at("audiences").as_array().size() == 2u);
    BOOST_TEST(s.at("audiences").as_array()[0].as_string() == "istio-ca");
    BOOST_TEST(s.at("expirationSeconds").as_int64() == 1200);
    BOOST_TEST(s.at("boundObjectRef").at("kind").as_string() == "Pod");
    BOOST_TEST(s.at("boundObjectRef").at("uid").as_string() == "u-1");
}

BOOST_AUTO_TEST_CASE(token_request_without_duration_has_no_expiration) {
    std::string tr = bytes_field(1, "") + bytes_field(2, "") + bytes_field(3, "");
    auto obj = decode_kubernetes_protobuf(envelope("authentication.k8s.io/v1", "TokenRequest", tr));
    BOOST_TEST_REQUIRE(obj.has_value());
    BOOST_TEST(!obj->at("spec").as_object().contains("expirationSeconds"));
    BOOST_TEST(!obj->at("spec").as_object().contains("audiences"));
}

BOOST_AUTO_TEST_CASE(decodes_a_self_subject_access_review) {
    std::string attrs = bytes_field(1, "ns1") + bytes_field(2, "create") + bytes_field(3, "") + bytes_field(4, "") +
                        bytes_field(5, "secrets") + bytes_field(6, "") + bytes_field(7, "");
    std::string ssar = bytes_field(1, "") + bytes_field(2, bytes_field(1, attrs)) + bytes_field(3, "");
    auto obj = decode_kubernetes_protobuf(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", ssar));
    BOOST_TEST_REQUIRE(obj.has_value());
    auto const& ra = obj->at("spec").at("resourceAttributes").as_object();
    BOOST_TEST(ra.at("namespace").as_string() == "ns1");
    BOOST_TEST(ra.at("verb").as_string() == "create");
    BOOST_TEST(ra.at("resource").as_string() == "secrets");
    BOOST_TEST(!ra.contains("group"));
}

BOOST_AUTO_TEST_CASE(decodes_non_resource_attributes) {
    std::string ssar = bytes_field(2, bytes_field(2, bytes_field(1, "/logs") + bytes_field(2, "get")));
    auto obj = decode_kubernetes_protobuf(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", ssar));
    BOOST_TEST_REQUIRE(obj.has_value());
    BOOST_TEST(obj->at("spec").at("nonResourceAttributes").at("path").as_string() == "/logs");
}

BOOST_AUTO_TEST_CASE(rejects_a_body_without_the_envelope_prefix) {
    auto obj = decode_kubernetes_protobuf("{\"kind\":\"Secret\"}");
    BOOST_TEST_REQUIRE(!obj.has_value());
    BOOST_TEST(obj.error().message.find("k8s\\0 envelope") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_an_unsupported_kind) {
    auto obj = decode_kubernetes_protobuf(envelope("v1", "Pod", ""));
    BOOST_TEST_REQUIRE(!obj.has_value());
    BOOST_TEST(obj.error().message == "protobuf bodies of kind Pod are not supported by the emulator; send JSON");
}

BOOST_AUTO_TEST_CASE(rejects_a_missing_kind) {
    auto obj = decode_kubernetes_protobuf(std::string("k8s\0", 4) + bytes_field(2, ""));
    BOOST_TEST_REQUIRE(!obj.has_value());
    BOOST_TEST(obj.error().message == "protobuf body has no kind in its type meta");
}

BOOST_AUTO_TEST_CASE(rejects_a_field_of_the_wrong_wire_type) {
    std::string secret = varint_field(1, 5);  // metadata must be a message
    auto obj = decode_kubernetes_protobuf(envelope("v1", "Secret", secret));
    BOOST_TEST_REQUIRE(!obj.has_value());
    BOOST_TEST(obj.error().message == "protobuf Secret: field 1: expected length-delimited");
}

BOOST_AUTO_TEST_CASE(rejects_a_truncated_object) {
    std::string secret = bytes_field(1, object_meta("demo", "ns1"));
    secret.resize(secret.size() - 3);
    auto obj = decode_kubernetes_protobuf(envelope("v1", "Secret", secret));
    BOOST_TEST_REQUIRE(!obj.has_value());
    BOOST_TEST(obj.error().message.find("Secret: protobuf: field 1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
