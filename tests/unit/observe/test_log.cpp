#include "observe/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace gic::observe;

namespace {

std::string const t = "2026-11-29T15:46:26.123456Z";

std::vector<std::string> lines_of(std::string const& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_format)

BOOST_AUTO_TEST_CASE(text_line_has_time_level_component_message_and_fields) {
    auto line = format_line(Format::text, t, Level::info, "rotator", "certificate written",
                            {{"identity", "spiffe://cluster.local/ns/a/sa/b"}, {"serial", "0a1b"}});
    BOOST_TEST(line == t + " info rotator: certificate written identity=spiffe://cluster.local/ns/a/sa/b serial=0a1b");
}

BOOST_AUTO_TEST_CASE(text_values_that_need_it_are_quoted_and_escaped) {
    auto line = format_line(Format::text, t, Level::error, "kube", "request failed",
                            {{"error", "a \"quoted\" = value"}, {"empty", ""}, {"multi", "line1\nline2"}, {"cr", "x\ry"}});
    BOOST_TEST(line == t + R"( error kube: request failed error="a \"quoted\" = value" empty="" multi="line1\nline2" cr="x\ry")");
}

BOOST_AUTO_TEST_CASE(text_message_with_a_newline_stays_on_one_line) {
    auto line = format_line(Format::text, t, Level::warning, "grpc", "handshake failed\nsecond line", {});
    BOOST_TEST(line.find('\n') == std::string::npos);
    BOOST_TEST(line == t + R"( warning grpc: "handshake failed\nsecond line")");
}

BOOST_AUTO_TEST_CASE(json_line_parses_and_carries_every_field) {
    auto line = format_line(Format::json, t, Level::debug, "inputs", "root \"bundle\" reloaded\n",
                            {{"path", "C:\\roots\\root-cert.pem"}, {"ctl", std::string("a\x01z")}});
    BOOST_TEST(line.find('\n') == std::string::npos);
    auto v = boost::json::parse(line).as_object();
    BOOST_TEST(v.at("time").as_string() == t);
    BOOST_TEST(v.at("level").as_string() == "debug");
    BOOST_TEST(v.at("component").as_string() == "inputs");
    BOOST_TEST(v.at("msg").as_string() == "root \"bundle\" reloaded\n");
    BOOST_TEST(v.at("path").as_string() == "C:\\roots\\root-cert.pem");
    BOOST_TEST(v.at("ctl").as_string() == std::string("a\x01z"));
    BOOST_TEST(v.size() == 6u);
}

BOOST_AUTO_TEST_CASE(levels_parse_and_unknown_levels_are_refused) {
    Level l{};
    BOOST_TEST(parse_level("debug", l));
    BOOST_TEST((l == Level::debug));
    BOOST_TEST(parse_level("error", l));
    BOOST_TEST((l == Level::error));
    BOOST_TEST(!parse_level("verbose", l));
    BOOST_TEST(!parse_level("INFO", l));
}

BOOST_AUTO_TEST_CASE(logger_filters_by_level_and_writes_one_line_per_record) {
    std::ostringstream out;
    init_logging(Level::info, Format::json, out);
    log_debug("test", "hidden");
    log_info("test", "shown", {{"k", "v"}});
    log_error("test", "also shown");
    auto lines = lines_of(out.str());
    BOOST_TEST_REQUIRE(lines.size() == 2u);
    auto first = boost::json::parse(lines[0]).as_object();
    BOOST_TEST(first.at("msg").as_string() == "shown");
    BOOST_TEST(first.at("k").as_string() == "v");
    BOOST_TEST(boost::json::parse(lines[1]).as_object().at("level").as_string() == "error");

    std::ostringstream text;
    init_logging(Level::debug, Format::text, text);
    log_debug("test", "now shown");
    BOOST_TEST(text.str().find(" debug test: now shown\n") != std::string::npos);
    init_logging(Level::info, Format::text);  // back to stderr before `text` goes away
}

BOOST_AUTO_TEST_SUITE_END()
