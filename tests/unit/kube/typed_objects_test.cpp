// ObjectMeta, Secret and ConfigMap read from wire objects: typed fields, one-line errors naming
// the field, and a read-modify-write that keeps every field the agent does not model.

#include "kube/config_map.hpp"
#include "kube/object_meta.hpp"
#include "kube/secret.hpp"
#include "kube/token_request.hpp"
#include "util/time_format.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace gic;
using namespace gic::kube;
namespace json = boost::json;

namespace {

json::object parse(char const* text) { return json::parse(text).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(typed_objects)

BOOST_AUTO_TEST_CASE(object_meta_reads_the_fields) {
    auto meta = parse_object_meta(parse(R"({"metadata":{"name":"s","namespace":"n","uid":"u-1","resourceVersion":"42",
        "labels":{"team":"edge"},"annotations":{"note":"keep"},"ownerReferences":[]}})"));
    BOOST_REQUIRE(meta.has_value());
    BOOST_TEST(meta->name == "s");
    BOOST_TEST(meta->namespace_ == "n");
    BOOST_TEST(meta->uid == "u-1");
    BOOST_TEST(meta->resource_version == "42");
    BOOST_TEST(meta->labels.at("team") == "edge");
    BOOST_TEST(meta->annotations.at("note") == "keep");
}

BOOST_AUTO_TEST_CASE(object_meta_missing_reads_empty) {
    auto none = parse_object_meta(json::object{});
    BOOST_REQUIRE(none.has_value());
    BOOST_TEST((*none == ObjectMeta{}));
    auto nulls = parse_object_meta(parse(R"({"metadata":{"uid":null,"labels":null}})"));
    BOOST_REQUIRE(nulls.has_value());
    BOOST_TEST(nulls->uid.empty());
    BOOST_TEST(nulls->labels.empty());
    // A List's ListMeta has only a resourceVersion: read the same way.
    auto list = parse_object_meta(parse(R"({"kind":"SecretList","metadata":{"resourceVersion":"7"},"items":[]})"));
    BOOST_REQUIRE(list.has_value());
    BOOST_TEST(list->resource_version == "7");
}

BOOST_AUTO_TEST_CASE(object_meta_odd_types_name_the_field) {
    auto const error = [](char const* text) { return parse_object_meta(parse(text)).error().message; };
    BOOST_TEST(error(R"({"metadata":[]})") == "metadata: not an object");
    BOOST_TEST(error(R"({"metadata":{"uid":7}})") == "metadata.uid: not a string");
    BOOST_TEST(error(R"({"metadata":{"resourceVersion":42}})") == "metadata.resourceVersion: not a string");
    BOOST_TEST(error(R"({"metadata":{"labels":"x"}})") == "metadata.labels: not an object");
    BOOST_TEST(error(R"({"metadata":{"annotations":{"a":1}}})") == "metadata.annotations[a]: not a string");
}

BOOST_AUTO_TEST_CASE(secret_reads_type_and_data) {
    auto secret = parse_secret(parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","uid":"u"},
        "type":"kubernetes.io/tls","data":{"tls.crt":"Q1JU","extra":"eA=="}})"));
    BOOST_REQUIRE(secret.has_value());
    BOOST_TEST(secret->metadata.name == "s");
    BOOST_TEST(secret->type == "kubernetes.io/tls");
    BOOST_TEST(secret->data.at("tls.crt") == "Q1JU");
    BOOST_TEST(secret->data.size() == 2u);
    auto untyped = parse_secret(json::object{});
    BOOST_REQUIRE(untyped.has_value());
    BOOST_TEST(untyped->type.empty());
    BOOST_TEST(untyped->data.empty());
}

BOOST_AUTO_TEST_CASE(secret_odd_types_name_the_field) {
    BOOST_TEST(parse_secret(parse(R"({"type":1})")).error().message == "type: not a string");
    BOOST_TEST(parse_secret(parse(R"({"data":[]})")).error().message == "data: not an object");
    BOOST_TEST(parse_secret(parse(R"({"data":{"tls.crt":{}}})")).error().message == "data[tls.crt]: not a string");
    BOOST_TEST(parse_secret(parse(R"({"metadata":{"name":true}})")).error().message == "metadata.name: not a string");
}

BOOST_AUTO_TEST_CASE(secret_update_keeps_unknown_fields) {
    auto read = parse(R"({"apiVersion":"v1","kind":"Secret",
        "metadata":{"name":"s","namespace":"n","uid":"u","resourceVersion":"42","labels":{"team":"edge"},
                    "ownerReferences":[{"kind":"Deployment","name":"gw"}],"managedFields":[{"manager":"kubectl"}]},
        "immutable":false,"type":"kubernetes.io/tls","data":{"extra":"eA=="},"stringData":null})");
    auto secret = parse_secret(read);
    BOOST_REQUIRE(secret.has_value());
    secret->data["tls.crt"] = "Q1JU";
    secret->metadata.annotations["note"] = "new";
    auto const written = to_json(*secret);
    // What we changed...
    BOOST_TEST(written.at("data").at("tls.crt").as_string() == "Q1JU");
    BOOST_TEST(written.at("data").at("extra").as_string() == "eA==");
    BOOST_TEST(written.at("metadata").at("annotations").at("note").as_string() == "new");
    // ...and everything we do not model, unchanged.
    auto const& metadata = written.at("metadata").as_object();
    BOOST_TEST(metadata.at("resourceVersion").as_string() == "42");
    BOOST_TEST(metadata.at("uid").as_string() == "u");
    BOOST_TEST(metadata.at("labels").at("team").as_string() == "edge");
    BOOST_TEST((metadata.at("ownerReferences") == read.at("metadata").at("ownerReferences")));
    BOOST_TEST((metadata.at("managedFields") == read.at("metadata").at("managedFields")));
    BOOST_TEST(written.at("immutable").as_bool() == false);
    BOOST_TEST(written.at("stringData").is_null());
    // Unchanged typed fields give back the object as read.
    BOOST_TEST((to_json(*parse_secret(read)) == read));
}

BOOST_AUTO_TEST_CASE(new_secret_gets_kind_and_version) {
    Secret secret;
    secret.metadata.name = "s";
    secret.metadata.namespace_ = "n";
    secret.type = "kubernetes.io/tls";
    secret.data["tls.crt"] = "";
    auto const object = to_json(secret);
    BOOST_TEST(object.at("apiVersion").as_string() == "v1");
    BOOST_TEST(object.at("kind").as_string() == "Secret");
    BOOST_TEST(object.at("metadata").at("namespace").as_string() == "n");
    BOOST_TEST(!object.at("metadata").as_object().contains("uid"));
    BOOST_TEST(!object.at("metadata").as_object().contains("labels"));
    auto back = parse_secret(object);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST((back->metadata == secret.metadata));
    BOOST_TEST((back->data == secret.data));
}

BOOST_AUTO_TEST_CASE(config_map_reads_data) {
    auto configmap = parse_config_map(parse(R"({"metadata":{"name":"istio-ca-root-cert"},"data":{"root-cert.pem":"PEM"}})"));
    BOOST_REQUIRE(configmap.has_value());
    BOOST_TEST(configmap->metadata.name == "istio-ca-root-cert");
    BOOST_TEST(configmap->data.at("root-cert.pem") == "PEM");
    BOOST_TEST(parse_config_map(parse(R"({"data":{"root-cert.pem":5}})")).error().message ==
               "data[root-cert.pem]: not a string");
    BOOST_TEST(parse_config_map(parse(R"({"data":"x"})")).error().message == "data: not an object");
}

BOOST_AUTO_TEST_CASE(token_request_body_and_answer) {
    auto const body = token_request({"istio-ca"}, std::chrono::seconds(3600));
    BOOST_TEST(body.at("kind").as_string() == "TokenRequest");
    BOOST_TEST(body.at("spec").at("audiences").as_array().at(0).as_string() == "istio-ca");
    BOOST_TEST(body.at("spec").at("expirationSeconds").as_int64() == 3600);
    auto issued = parse_token_request_status(parse(R"({"status":{"token":"t","expirationTimestamp":"2026-11-29T16:00:00Z"}})"));
    BOOST_REQUIRE(issued.has_value());
    BOOST_TEST(issued->token == "t");
    BOOST_TEST((issued->expires_at == *util::parse_rfc3339("2026-11-29T16:00:00Z")));
    auto const error = [](char const* text) { return parse_token_request_status(parse(text)).error().message; };
    BOOST_TEST(error(R"({})") == "the TokenRequest answer has no status");
    BOOST_TEST(error(R"({"status":{"token":""}})") == "the TokenRequest answer has no status.token");
    BOOST_TEST(error(R"({"status":{"token":"t"}})") == "the TokenRequest answer has no status.expirationTimestamp");
    BOOST_TEST(error(R"({"status":{"token":"t","expirationTimestamp":"soon"}})") ==
               "the TokenRequest answer's status.expirationTimestamp is not an RFC 3339 time");
}

BOOST_AUTO_TEST_SUITE_END()
