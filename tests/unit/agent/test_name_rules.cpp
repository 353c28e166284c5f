#include "util/name_rules.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace gic::util;

namespace {

bool keeps(NameRule const& rule, std::string const& value) { return name_violation(rule, value).empty(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_name_rules)

BOOST_AUTO_TEST_CASE(namespace_is_a_dns1123_label) {
    for (std::string ok : {"a", "istio-system", "0ns"}) BOOST_TEST(keeps(namespace_name, ok), ok);
    BOOST_TEST(keeps(namespace_name, std::string(63, 'a')));
    for (auto bad : {"", "Istio", "a.b", "-a", "a-", "a_b", "a/b", "..", "a\nb", "a b"})
        BOOST_TEST(!keeps(namespace_name, bad), bad);
    BOOST_TEST(!keeps(namespace_name, std::string(64, 'a')));
    BOOST_TEST(name_violation(namespace_name, std::string(64, 'a')).find("longer than 63 characters") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_and_lease_names_are_dns1123_subdomains) {
    for (auto rule : {&secret_name, &lease_name}) {
        for (auto ok : {"istio-certs", "gw.gen-istio-cert.teg.tetrate.io", "a", "1.2.3"})
            BOOST_TEST(keeps(*rule, ok), ok);
        for (auto bad : {"", "Istio-Certs", ".a", "a.", "a..b", "a.-b", "a/b", "a%2f", "..", ".", "a\r\nb", "a:b"})
            BOOST_TEST(!keeps(*rule, bad), bad);
        std::string longest(253, 'a');
        for (std::size_t i = 63; i < longest.size(); i += 64) longest[i] = '.';
        BOOST_TEST(keeps(*rule, longest));
        BOOST_TEST(!keeps(*rule, longest + "a"));
    }
    BOOST_TEST(name_violation(secret_name, "a..b").find("empty part between dots") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(service_account_name_is_a_path_segment_and_a_subdomain) {
    BOOST_TEST(keeps(service_account_name, "teg-istio"));
    BOOST_TEST(keeps(service_account_name, "sa.with.dots"));
    BOOST_TEST(name_violation(service_account_name, "..").find("may not be '..'") != std::string::npos);
    BOOST_TEST(name_violation(service_account_name, ".").find("may not be '.'") != std::string::npos);
    BOOST_TEST(name_violation(service_account_name, "a/b").find("contains '/'") != std::string::npos);
    BOOST_TEST(name_violation(service_account_name, "a%2e").find("contains '%'") != std::string::npos);
    BOOST_TEST(!keeps(service_account_name, "Gateway"));
    BOOST_TEST(!keeps(service_account_name, ""));
}

BOOST_AUTO_TEST_CASE(trust_domain_follows_spiffe) {
    for (auto ok : {"cluster.local", "example.org", "td_with_underscore", "a-b.c"})
        BOOST_TEST(keeps(spiffe_trust_domain, ok), ok);
    BOOST_TEST(keeps(spiffe_trust_domain, std::string(255, 'a')));
    BOOST_TEST(!keeps(spiffe_trust_domain, std::string(256, 'a')));
    BOOST_TEST(!keeps(spiffe_trust_domain, ""));
    BOOST_TEST(!keeps(spiffe_trust_domain, "Cluster.Local"));
    BOOST_TEST(name_violation(spiffe_trust_domain, "td:8080").find("no port") != std::string::npos);
    BOOST_TEST(name_violation(spiffe_trust_domain, "user@td").find("no user info") != std::string::npos);
    BOOST_TEST(!keeps(spiffe_trust_domain, "td/ns/x"));
    BOOST_TEST(!keeps(spiffe_trust_domain, "td%2f"));
}

BOOST_AUTO_TEST_CASE(cluster_id_is_a_safe_header_value) {
    BOOST_TEST(keeps(grpc_header_value, "Kubernetes"));
    BOOST_TEST(keeps(grpc_header_value, ""));
    BOOST_TEST(keeps(grpc_header_value, "my cluster/1"));
    BOOST_TEST(keeps(grpc_header_value, std::string(253, 'x')));
    BOOST_TEST(!keeps(grpc_header_value, std::string(254, 'x')));
    for (auto bad : {std::string("a\r\nx-injected: 1"), std::string("a\nb"), std::string("a\0b", 3), std::string("a\tb"),
                     std::string(" lead"), std::string("trail "), std::string("caf\xc3\xa9")})
        BOOST_TEST(!keeps(grpc_header_value, bad), quoted(bad));
}

BOOST_AUTO_TEST_CASE(messages_stay_on_one_line) {
    auto const message = name_violation(secret_name, "a\r\nHost: evil");
    BOOST_TEST(message.find('\n') == std::string::npos);
    BOOST_TEST(message.find('\r') == std::string::npos);
    BOOST_TEST(message.find("\"a\\x0d\\x0aHost: evil\" is not a valid Secret name: contains '\\x0d'") == 0, message);
    BOOST_TEST(quoted(std::string(100, 'a')) == "\"" + std::string(80, 'a') + "...\"");
    BOOST_TEST(quoted("say \"hi\"") == "\"say \\x22hi\\x22\"");
}

BOOST_AUTO_TEST_SUITE_END()
