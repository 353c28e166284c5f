#include "agent/inputs/mounted_files.hpp"

#include "common/temp_dir.hpp"
#include "fixtures.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic;
using namespace gic::agent;

BOOST_AUTO_TEST_SUITE(test_input_files)

BOOST_AUTO_TEST_CASE(token_is_trimmed_and_never_echoed) {
    test::TempDir tmp;
    test::write_file(tmp.file("token"), "  secret-token-value\n");
    BOOST_TEST(*read_token_file(tmp.file("token"), "Istio token") == "secret-token-value");
    test::write_file(tmp.file("empty"), " \n");
    BOOST_TEST(read_token_file(tmp.file("empty"), "Istio token").error().message ==
               "Istio token " + tmp.file("empty") + " is empty");
    auto missing = read_token_file(tmp.file("missing"), "Istio token");
    BOOST_TEST(missing.error().message == "cannot read Istio token " + tmp.file("missing") + ": No such file or directory");
}

BOOST_AUTO_TEST_CASE(root_bundle_errors_name_the_file) {
    test::TempDir tmp;
    auto missing = read_root_bundle(tmp.file("nope.pem"));
    BOOST_TEST(missing.error().message.find("cannot read root certificate file (--root-cert-path) " + tmp.file("nope.pem")) == 0);
    test::write_file(tmp.file("empty.pem"), "\n");
    BOOST_TEST(read_root_bundle(tmp.file("empty.pem")).error().message ==
               "root certificate file (--root-cert-path) " + tmp.file("empty.pem") + " is empty");
    test::write_file(tmp.file("text.pem"), "hello\n");
    BOOST_TEST(read_root_bundle(tmp.file("text.pem")).error().message.find("root certificate file (--root-cert-path) " +
                                                                           tmp.file("text.pem") + ": ") == 0);
}

BOOST_AUTO_TEST_CASE(root_bundle_with_two_roots) {
    test::TempDir tmp;
    auto a = test::make_root("a");
    auto b = test::make_root("b");
    test::write_file(tmp.file("roots.pem"), a.cert().to_pem() + b.cert().to_pem());
    auto bundle = read_root_bundle(tmp.file("roots.pem"));
    BOOST_REQUIRE(bundle.has_value());
    BOOST_TEST(bundle->certs.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
