#include "agent/effects/secret_object.hpp"

#include "fixtures.hpp"
#include "util/base64.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace gic;
using namespace gic::agent;

BOOST_AUTO_TEST_SUITE(test_secret_object)

BOOST_AUTO_TEST_CASE(new_secret_has_the_tls_layout) {
    auto ca = test::make_root();
    std::string const id = "spiffe://cluster.local/ns/ns1/sa/sa1";
    auto issued = test::issue(ca, id);
    auto typed = make_tls_secret("ns1", "istio-certs", issued.material(), describe_annotations(issued, id, "pod-a"));
    auto const secret = kube::to_json(typed);  // what a create sends
    BOOST_TEST(secret.at("type").as_string() == "kubernetes.io/tls");
    BOOST_TEST(secret.at("metadata").at("name").as_string() == "istio-certs");
    BOOST_TEST(secret.at("metadata").at("namespace").as_string() == "ns1");
    BOOST_TEST(secret.at("metadata").at("labels").at("app.kubernetes.io/managed-by").as_string() == "gen-istio-cert");
    auto const& ann = secret.at("metadata").at("annotations").as_object();
    BOOST_TEST(ann.at("gen-istio-cert.teg.tetrate.io/spiffe-id").as_string() == id);
    BOOST_TEST(ann.at("gen-istio-cert.teg.tetrate.io/serial").as_string() == issued.chain.leaf().serial_hex());
    BOOST_TEST(ann.at("gen-istio-cert.teg.tetrate.io/written-by").as_string() == "pod-a");
    auto const& data = secret.at("data").as_object();
    BOOST_TEST(*util::base64_decode(data.at("tls.crt").as_string()) == issued.chain.chain_pem());
    BOOST_TEST(*util::base64_decode(data.at("ca.crt").as_string()) == ca.cert().to_pem());
    BOOST_TEST(util::base64_decode(data.at("tls.key").as_string())->find("BEGIN PRIVATE KEY") != std::string::npos);
    auto back = read_tls_material(kube::parse_secret(secret).value());
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(back->chain_pem == issued.chain.chain_pem());
}

BOOST_AUTO_TEST_CASE(update_keeps_what_others_own) {
    auto existing = boost::json::parse(R"({"apiVersion":"v1","kind":"Secret",
        "metadata":{"name":"s","namespace":"n","resourceVersion":"42","labels":{"team":"edge"},
                    "annotations":{"note":"keep"},"ownerReferences":[{"kind":"Deployment","name":"gw"}]},
        "type":"kubernetes.io/tls","data":{"extra":"eA==","tls.crt":"","tls.key":""}})").as_object();
    auto read = kube::parse_secret(existing).value();
    apply_tls_material(read, TlsMaterial{"CRT", "KEY", "CA"}, {{"gen-istio-cert.teg.tetrate.io/serial", "ab"}});
    existing = kube::to_json(read);  // what an update sends
    BOOST_TEST(existing.at("metadata").at("resourceVersion").as_string() == "42");
    BOOST_TEST(existing.at("metadata").at("labels").at("team").as_string() == "edge");
    BOOST_TEST(existing.at("metadata").at("labels").at("app.kubernetes.io/managed-by").as_string() == "gen-istio-cert");
    BOOST_TEST(existing.at("metadata").at("annotations").at("note").as_string() == "keep");
    BOOST_TEST(existing.at("metadata").at("ownerReferences").as_array().size() == 1u);
    BOOST_TEST(existing.at("data").at("extra").as_string() == "eA==");
    BOOST_TEST(*util::base64_decode(existing.at("data").at("tls.crt").as_string()) == "CRT");
    BOOST_TEST(*util::base64_decode(existing.at("data").at("tls.key").as_string()) == "KEY");
    BOOST_TEST(*util::base64_decode(existing.at("data").at("ca.crt").as_string()) == "CA");
}

BOOST_AUTO_TEST_CASE(type_and_bad_data) {
    BOOST_TEST(secret_type(kube::Secret{}) == "Opaque");
    BOOST_TEST(secret_type(kube::parse_secret(boost::json::parse(R"({"type":"kubernetes.io/tls"})").as_object()).value()) ==
               "kubernetes.io/tls");
    auto bad = kube::parse_secret(boost::json::parse(R"({"data":{"tls.crt":"%%%"}})").as_object()).value();
    BOOST_TEST(read_tls_material(bad).error().message == "data[tls.crt] is not valid base64");
    auto empty = read_tls_material(kube::Secret{});
    BOOST_REQUIRE(empty.has_value());
    BOOST_TEST(empty->chain_pem.empty());
}

BOOST_AUTO_TEST_SUITE_END()
