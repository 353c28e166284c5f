#include "kube/client.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

using gic::kube::ResourceRef;

BOOST_AUTO_TEST_SUITE(resource_ref)

BOOST_AUTO_TEST_CASE(core_namespaced_object) {
    BOOST_TEST(ResourceRef({"v1", "secrets", "ns", "istio-certs", ""}).path() == "/api/v1/namespaces/ns/secrets/istio-certs");
}

BOOST_AUTO_TEST_CASE(core_collection) {
    BOOST_TEST(ResourceRef({"v1", "secrets", "ns", "", ""}).path() == "/api/v1/namespaces/ns/secrets");
}

BOOST_AUTO_TEST_CASE(group_resource) {
    BOOST_TEST(ResourceRef({"coordination.k8s.io/v1", "leases", "kube-system", "lock", ""}).path() ==
               "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lock");
}

BOOST_AUTO_TEST_CASE(cluster_scoped) {
    BOOST_TEST(ResourceRef({"v1", "namespaces", "", "default", ""}).path() == "/api/v1/namespaces/default");
    BOOST_TEST(ResourceRef({"authentication.k8s.io/v1", "tokenreviews", "", "", ""}).path() ==
               "/apis/authentication.k8s.io/v1/tokenreviews");
}

BOOST_AUTO_TEST_CASE(subresource_after_name) {
    BOOST_TEST(ResourceRef({"v1", "serviceaccounts", "ns", "sa", "token"}).path() ==
               "/api/v1/namespaces/ns/serviceaccounts/sa/token");
}

BOOST_AUTO_TEST_CASE(name_with_slash_is_a_programming_error) {
    BOOST_CHECK_THROW(ResourceRef({"v1", "secrets", "ns", "a/b", ""}).path(), std::invalid_argument);
    BOOST_CHECK_THROW(ResourceRef({"v1", "secrets", "a/b", "x", ""}).path(), std::invalid_argument);
    BOOST_CHECK_THROW(ResourceRef({"v1", "secrets", "ns", "..", ""}).path(), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(malformed_refs_are_programming_errors) {
    BOOST_CHECK_THROW(ResourceRef({"v1", "", "ns", "x", ""}).path(), std::invalid_argument);
    BOOST_CHECK_THROW(ResourceRef({"apps", "deployments", "ns", "x", ""}).path(), std::invalid_argument);
    BOOST_CHECK_THROW(ResourceRef({"a/b/c", "x", "ns", "x", ""}).path(), std::invalid_argument);
    BOOST_CHECK_THROW(ResourceRef({"v1", "serviceaccounts", "ns", "", "token"}).path(), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
