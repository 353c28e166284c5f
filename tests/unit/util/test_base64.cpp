#include "util/base64.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::util;

BOOST_AUTO_TEST_SUITE(test_base64)

BOOST_AUTO_TEST_CASE(standard_round_trip_with_padding) {
    BOOST_TEST(base64_encode("") == "");
    BOOST_TEST(base64_encode("f") == "Zg==");
    BOOST_TEST(base64_encode("fo") == "Zm8=");
    BOOST_TEST(base64_encode("foo") == "Zm9v");
    BOOST_TEST(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
    for (std::string s : {"", "a", "ab", "abc", "abcd", "hello world\n"}) BOOST_TEST(*base64_decode(base64_encode(s)) == s);
}

BOOST_AUTO_TEST_CASE(standard_rejects_bad_input) {
    BOOST_TEST(!base64_decode("Zg="));       // wrong length
    BOOST_TEST(!base64_decode("Z!=="));      // bad character
    BOOST_TEST(!base64_decode("Zh=="));      // non-canonical trailing bits
    BOOST_TEST(!base64_decode("-_8A"));      // url alphabet is not standard
}

BOOST_AUTO_TEST_CASE(url_variant_without_padding) {
    BOOST_TEST(base64url_encode(std::string("\xff\xfe", 2)) == "__4");
    BOOST_TEST(*base64url_decode("__4") == std::string("\xff\xfe", 2));
    BOOST_TEST(*base64url_decode("Zg==") == "f");  // padding tolerated
    BOOST_TEST(!base64url_decode("a"));            // impossible length
    BOOST_TEST(!base64url_decode("ab+/"));         // standard alphabet is not url
}

BOOST_AUTO_TEST_SUITE_END()
