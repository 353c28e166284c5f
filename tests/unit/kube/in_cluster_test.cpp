#include "fixtures.hpp"
#include "kube/rest_config.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>

using namespace gic::kube;
using gic::kube::test::pki;
using gic::test::TempDir;
using gic::test::write_file;

namespace {

// Sets or unsets an environment variable for one test and restores it afterwards.
class ScopedEnv {
public:
    ScopedEnv(char const* name, std::optional<std::string> value) : name_(name) {
        if (char const* old = std::getenv(name)) old_ = old;
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

private:
    char const* name_;
    std::optional<std::string> old_;
};

struct Mount {
    TempDir dir;
    InClusterPaths paths{dir.file("token"), dir.file("ca.crt"), dir.file("namespace")};
    ScopedEnv host{"KUBERNETES_SERVICE_HOST", "10.96.0.1"};
    ScopedEnv port{"KUBERNETES_SERVICE_PORT", "443"};
    ScopedEnv pod_namespace{"POD_NAMESPACE", std::nullopt};

    Mount() {
        write_file(paths.token_file, "sa-token\n");
        write_file(paths.ca_file, pki().ca_pem());
        write_file(paths.namespace_file, "istio-system\n");
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(in_cluster, Mount)

BOOST_AUTO_TEST_CASE(loads_the_mounted_service_account) {
    auto const config = load_in_cluster_config(paths).value();
    BOOST_TEST(config.server == "https://10.96.0.1:443");
    BOOST_TEST(config.host == "10.96.0.1");
    BOOST_TEST(config.port == "443");
    BOOST_TEST(config.bearer_token == "sa-token");
    BOOST_TEST(config.token_file == paths.token_file);
    BOOST_TEST(config.ca_pem == pki().ca_pem());
    BOOST_TEST(config.namespace_ == "istio-system");
    BOOST_TEST(config.origin == "in-cluster config");
}

BOOST_AUTO_TEST_CASE(ipv6_service_host_is_bracketed) {
    ScopedEnv v6("KUBERNETES_SERVICE_HOST", "fd00:10:96::1");
    auto const config = load_in_cluster_config(paths).value();
    BOOST_TEST(config.server == "https://[fd00:10:96::1]:443");
    BOOST_TEST(config.host == "fd00:10:96::1");
}

BOOST_AUTO_TEST_CASE(missing_env_var_is_an_error) {
    for (char const* name : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}) {
        ScopedEnv unset(name, std::nullopt);
        auto const result = load_in_cluster_config(paths);
        BOOST_REQUIRE(result.has_error());
        BOOST_TEST(result.error().message ==
                   "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
                   "be defined");
    }
    ScopedEnv empty("KUBERNETES_SERVICE_PORT", "");
    BOOST_TEST(load_in_cluster_config(paths).has_error());
}

BOOST_AUTO_TEST_CASE(bad_port_is_an_error) {
    ScopedEnv port_env("KUBERNETES_SERVICE_PORT", "https");
    auto const result = load_in_cluster_config(paths);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message.find("invalid port \"https\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_token_is_an_error) {
    std::filesystem::remove(paths.token_file);
    auto const result = load_in_cluster_config(paths);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "reading service-account token " + paths.token_file + ": No such file or directory");
}

BOOST_AUTO_TEST_CASE(empty_token_is_an_error) {
    write_file(paths.token_file, "\n");
    auto const result = load_in_cluster_config(paths);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "service-account token " + paths.token_file + " is empty");
}

BOOST_AUTO_TEST_CASE(missing_or_unparsable_ca_is_an_error) {
    write_file(paths.ca_file, "garbage");
    auto const garbage = load_in_cluster_config(paths);
    BOOST_REQUIRE(garbage.has_error());
    BOOST_TEST(garbage.error().message == "service-account CA " + paths.ca_file + ": no PEM certificate found");

    std::filesystem::remove(paths.ca_file);
    auto const missing = load_in_cluster_config(paths);
    BOOST_REQUIRE(missing.has_error());
    BOOST_TEST(missing.error().message == "reading service-account CA " + paths.ca_file + ": No such file or directory");
}

BOOST_AUTO_TEST_CASE(truncated_ca_block_is_an_error) {
    std::string pem = pki().ca_pem();
    pem.erase(pem.size() / 2, 40);
    write_file(paths.ca_file, pem);
    auto const result = load_in_cluster_config(paths);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "service-account CA " + paths.ca_file + ": PEM certificate #1 does not parse");
}

BOOST_AUTO_TEST_CASE(namespace_precedence) {
    {
        ScopedEnv pod("POD_NAMESPACE", "from-env");
        BOOST_TEST(load_in_cluster_config(paths).value().namespace_ == "from-env");
    }
    BOOST_TEST(load_in_cluster_config(paths).value().namespace_ == "istio-system");
    std::filesystem::remove(paths.namespace_file);
    BOOST_TEST(load_in_cluster_config(paths).value().namespace_ == "default");
}

BOOST_AUTO_TEST_SUITE_END()
