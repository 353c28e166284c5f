// Server-chosen text in our one-line messages: one line, no control bytes, bounded.

#include "util/server_text.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using gic::util::server_text;

BOOST_AUTO_TEST_SUITE(test_server_text)

BOOST_AUTO_TEST_CASE(a_kubernetes_message_is_kept_as_sent) {
    std::string const message = R"(secrets "istio-certs" is forbidden: User "system:serviceaccount:gw:agent" cannot get)";
    BOOST_TEST(server_text(message) == message);
}

BOOST_AUTO_TEST_CASE(line_breaks_and_tabs_become_spaces_and_the_ends_are_trimmed) {
    BOOST_TEST(server_text("\n  first line\r\nsecond\tline \n") == "first line  second line");
}

BOOST_AUTO_TEST_CASE(terminal_escapes_and_other_control_bytes_are_replaced) {
    BOOST_TEST(server_text("red \x1b[31mtext\x07 and \x7f" + std::string(1, '\0') + "end") ==
               "red ?[31mtext? and ??end");
}

BOOST_AUTO_TEST_CASE(long_text_is_cut_with_an_ellipsis) {
    std::string const long_text(10000, 'x');
    auto const shown = server_text(long_text, 100);
    BOOST_TEST(shown == std::string(100, 'x') + "...");
    BOOST_TEST(server_text(std::string(100, 'y'), 100) == std::string(100, 'y'));  // exactly at the bound
}

BOOST_AUTO_TEST_CASE(a_cut_never_splits_a_utf8_character) {
    // "é" is two bytes (C3 A9); a cut after 5 bytes of "abcdé..." would fall inside it.
    std::string const text = "abcd\xC3\xA9" + std::string(20, 'z');
    BOOST_TEST(server_text(text, 5) == "abcd...");
    BOOST_TEST(server_text(text, 6) == "abcd\xC3\xA9...");
}

BOOST_AUTO_TEST_CASE(empty_and_blank_text_is_empty) {
    BOOST_TEST(server_text("") == "");
    BOOST_TEST(server_text(" \n\t ") == "");
}

BOOST_AUTO_TEST_SUITE_END()
