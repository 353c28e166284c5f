// Query parameters parsed as kube-apiserver's parameter codec does: booleans with
// Convert_Slice_string_To_bool (so Python's `watch=True` is a watch), integers with
// strconv.ParseInt and its error text, the first of repeated values.

#include "emulator_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <future>
#include <utility>
#include <vector>

using namespace gic::emu::kube::test;

namespace {

std::string const configmaps = "/api/v1/namespaces/default/configmaps";

bool is_watch_stream(HttpResult const& r) {
    return r.status == 200u && r.body.find("\"type\":\"ADDED\"") != std::string::npos &&
           r.body.find("ConfigMapList") == std::string::npos;
}

bool is_list(HttpResult const& r) { return r.status == 200u && r.body.find("\"kind\":\"ConfigMapList\"") != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(query_parameters)

BOOST_AUTO_TEST_CASE(watch_is_true_unless_absent_zero_or_false) {
    RunningEmulator emu;
    boost::json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", boost::json::object{{"name", "c1"}}}};
    BOOST_TEST_REQUIRE(emu.admin().post(configmaps, cm).status == 201u);
    // Each watch lasts its timeoutSeconds (1 s, the API's smallest): they run side by side.
    std::vector<std::pair<std::string, std::future<HttpResult>>> watches;
    for (std::string value : {"True", "true", "1", "yes", "", "TRUE"})
        watches.emplace_back(value, std::async(std::launch::async, [&emu, value] {
                                 return emu.admin().get(configmaps + "?watch=" + value + "&timeoutSeconds=1");
                             }));
    for (auto& [value, watch] : watches) {
        auto const r = watch.get();
        BOOST_TEST(is_watch_stream(r), "watch=" << value << ": " << r.body);
    }
    for (std::string value : {"false", "False", "FALSE", "0"}) {
        auto r = emu.admin().get(configmaps + "?watch=" + value);
        BOOST_TEST(is_list(r), "watch=" << value << ": " << r.body);
    }
    BOOST_TEST(is_list(emu.admin().get(configmaps)));
    // The first of repeated values counts.
    BOOST_TEST(is_list(emu.admin().get(configmaps + "?watch=false&watch=true")));
}

BOOST_AUTO_TEST_CASE(bad_integers_are_a_bad_request_with_the_parse_error) {
    RunningEmulator emu;
    auto r = emu.admin().get(configmaps + "?watch=1&timeoutSeconds=ten");
    BOOST_TEST_REQUIRE(r.status == 400u, r.body);
    BOOST_TEST(r.json().at("message").as_string() == "strconv.ParseInt: parsing \"ten\": invalid syntax");
    r = emu.admin().get(configmaps + "?watch=1&timeoutSeconds=99999999999999999999");
    BOOST_TEST_REQUIRE(r.status == 400u, r.body);
    BOOST_TEST(r.json().at("message").as_string() ==
               "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
    // A sign is part of Go's syntax; +1 is one second.
    BOOST_TEST(emu.admin().get(configmaps + "?watch=1&timeoutSeconds=%2B1").status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
