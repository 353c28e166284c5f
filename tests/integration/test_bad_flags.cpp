// The real gen-istio-cert binary with a bad name or timing on its command line: exit 2, one line on
// stderr naming the flag, and nothing read or sent. The sandbox's own flags point at a working
// token, root, kubeconfig and istiod, so an agent that did not stop at the flag would reach both
// emulators; their request logs show that it did not. A flag given twice takes its last value.

#include "common/sandbox.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace gic::test;

namespace {

// Requests the agent made: the kube emulator's log entries by service accounts, and every CA call.
std::size_t agent_requests(Sandbox const& sb) {
    std::size_t n = 0;
    for (auto const& r : sb.kube_admin_items("/emulator/v1/requests"))
        if (r.as_object().at("user").as_string().starts_with("system:serviceaccount:")) ++n;
    return n + sb.istiod_admin_get("/requests").at("requests").as_array().size();
}

struct BadFlag {
    std::string flag;
    std::string value;
    std::string expected;  // in the message, after "gen-istio-cert: --<flag>: "
};

std::vector<BadFlag> const bad_values = {
    {"--output-secret", "istio-certs\r\nX-Injected: 1", "is not a valid Secret name: contains '\\x0d'"},
    {"--output-secret", "a/b", "is not a valid Secret name: contains '/'"},
    {"--output-secret", "..", "is not a valid Secret name"},
    {"--output-secret", "Istio-Certs", "is not a valid Secret name: contains 'I'"},
    {"--output-secret", std::string(254, 'a'), "longer than 253 characters"},
    {"--output-secret", "", "is not a valid Secret name: empty"},
    {"--output-secret-ns", "a.b", "is not a valid namespace name: contains '.'"},
    {"--output-secret-ns", "../kube-system", "is not a valid namespace name"},
    {"--output-secret-ns", std::string(64, 'n'), "longer than 63 characters"},
    {"--leader-election-id", "lease/../x", "is not a valid Lease name: contains '/'"},
    {"--leader-election-id", "Lease", "is not a valid Lease name"},
    {"--leader-election-namespace", "ns\n", "is not a valid namespace name: contains '\\x0a'"},
    {"--sa-name", "..", "is not a valid service account name: may not be '..'"},
    {"--sa-name", "a%2fb", "is not a valid service account name: contains '%'"},
    {"--sa-name", "Gateway", "is not a valid service account name"},
    {"--sa-namespace", "envoy-gateway-system/x", "is not a valid namespace name: contains '/'"},
    {"--sa-namespace", "UPPER", "is not a valid namespace name"},
    {"--trust-domain", "cluster.local:443", "is not a valid SPIFFE trust domain: contains ':' (no port)"},
    {"--trust-domain", "user@cluster.local", "no user info"},
    {"--trust-domain", "Cluster.Local", "is not a valid SPIFFE trust domain"},
    {"--trust-domain", "", "is not a valid SPIFFE trust domain: empty"},
    {"--cluster-name", "Kubernetes\r\nauthorization: Bearer x", "is not a valid header value: contains '\\x0d'"},
    {"--cluster-name", std::string(254, 'c'), "longer than 253 characters"},
    {"--ca-address", "istiod\r\nx-evil:15012", "is not a valid host name: contains '\\x0d'"},
    {"--ca-tls-server-name", "istiod/../x", "is not a valid host name: contains '/'"},
    {"--lease-duration", "15500ms", "must be a whole number of seconds"},
    {"--lease-duration", "11s", "must be at least --retry-period plus --renew-deadline (2s + 10s), use 12s"},
    {"--lease-duration", "100h", "must be at most 1h0m0s"},
    {"--retry-period", "1ms", "must be at least 100ms"},
    {"--renew-deadline", "2s", "must be greater than 1.2 x --retry-period"},
    {"--cert-ttl", "100000h", "must be at most 87600h"},
    {"--renew-ratio", "0.999", "is not a number from 0.02 to 0.98"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_flags)

BOOST_AUTO_TEST_CASE(a_bad_name_or_timing_exits_2_before_anything_is_read_or_sent) {
    Sandbox sb;
    // The sandbox's flags work: a good run reaches both emulators (so the counter can see it).
    auto const before_good = agent_requests(sb);
    auto good = sb.run_agent({"--once", "--output-secret", "control"});
    BOOST_TEST_REQUIRE(good.exit_code == 0, good.err);
    auto const baseline = agent_requests(sb);
    BOOST_TEST_REQUIRE(baseline > before_good);

    for (auto const& c : bad_values) {
        for (bool once : {true, false}) {
            // One "--flag=value" argument, after the sandbox's own value for the same flag (if any):
            // the last value is the one checked.
            std::vector<std::string> args{c.flag + "=" + c.value};
            if (once) args.push_back("--once");
            auto r = sb.run_agent(args, std::chrono::seconds(20));
            auto const what = c.flag + "=" + c.value.substr(0, 40) + (once ? " --once" : "");
            BOOST_TEST(r.exit_code == 2, what << ": exit " << r.exit_code << ": " << r.err);
            BOOST_TEST(r.err.find("gen-istio-cert: " + c.flag + ": ") == 0, what << ": " << r.err);
            BOOST_TEST(r.err.find(c.expected) != std::string::npos, what << ": expected \"" << c.expected << "\" in " << r.err);
            BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, what << ": not one line: " << r.err);
            BOOST_TEST(r.err.find('\r') == std::string::npos, what);
            BOOST_TEST(r.out.empty(), what << ": " << r.out);
        }
    }
    BOOST_TEST(agent_requests(sb) == baseline, "requests were sent for a bad flag");
    BOOST_TEST(sb.get_json("secret", "istio-certs", "envoy-gateway-system").empty());
}

BOOST_AUTO_TEST_CASE(flags_are_checked_before_files_are_read) {
    Sandbox sb;
    // With a token path that does not exist, reading files first would report the token instead.
    auto r = sb.run_agent({"--istio-token-path", sb.state_dir() + "/missing-token", "--sa-name", "a/b", "--once"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err.find("gen-istio-cert: --sa-name: \"a/b\" is not a valid service account name") == 0, r.err);
}

BOOST_AUTO_TEST_CASE(a_flag_given_twice_takes_its_last_value) {
    Sandbox sb;
    // As a Helm or kustomize patch appends overrides to a Deployment's args.
    auto r = sb.run_agent({"--once", "--output-secret", "Not/Valid", "--cert-ttl", "1h", "--output-secret", "appended",
                           "--cert-ttl=2h", "--leader-elect", "--leader-elect=false", "--once"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("written to Secret envoy-gateway-system/appended (created)") != std::string::npos, r.out);
    BOOST_TEST(!sb.get_json("secret", "appended", "envoy-gateway-system").empty());
}

BOOST_AUTO_TEST_SUITE_END()
