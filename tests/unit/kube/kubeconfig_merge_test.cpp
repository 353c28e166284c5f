// KUBECONFIG lists, --kubeconfig and ~/.kube/config: which files are read, how they merge, and
// where relative paths point (clientcmd loader.go).

#include "fixtures.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/rest_config.hpp"
#include "util/base64.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace gic::kube;
using gic::kube::test::contains;
using gic::kube::test::pki;
using gic::test::TempDir;
using gic::test::write_file;

namespace {

std::string b64(std::string const& text) { return gic::util::base64_encode(text); }

std::string cluster(std::string const& name, std::string const& server, std::string const& extra = {}) {
    return "- name: " + name + "\n  cluster:\n    server: " + server +
           "\n    certificate-authority-data: " + b64(pki().ca_pem()) + "\n" + extra;
}
std::string user(std::string const& name, std::string const& body) { return "- name: " + name + "\n  user:\n" + body; }
std::string context(std::string const& name, std::string const& c, std::string const& u, std::string const& ns = {}) {
    return "- name: " + name + "\n  context:\n    cluster: " + c + "\n    user: " + u + "\n" +
           (ns.empty() ? std::string{} : "    namespace: " + ns + "\n");
}
std::string file(std::string const& clusters, std::string const& users, std::string const& contexts,
                 std::string const& current = {}) {
    std::string out = "apiVersion: v1\nkind: Config\n";
    if (!clusters.empty()) out += "clusters:\n" + clusters;
    if (!users.empty()) out += "users:\n" + users;
    if (!contexts.empty()) out += "contexts:\n" + contexts;
    if (!current.empty()) out += "current-context: " + current + "\n";
    return out;
}

struct Fixture {
    TempDir dir{"gic-kubeconfig-merge"};
    std::string a = dir.file("a.yaml");
    std::string b = dir.file("b/b.yaml");
    Fixture() { std::filesystem::create_directories(dir.file("b")); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(kubeconfig_merge, Fixture)

// One row per merge rule: what the files hold, which context is asked for, what must come out.
struct MergeCase {
    char const* rule;
    std::string file_a;
    std::string file_b;
    std::string context_flag;
    std::string server;
    std::string token;
    std::string namespace_;
};

BOOST_AUTO_TEST_CASE(first_file_to_define_a_value_wins) {
    std::vector<MergeCase> const cases{
        {"current-context from the first file that sets it",
         file(cluster("c", "https://a:1"), user("u", "    token: ta\n"), context("ca", "c", "u"), "ca"),
         file(cluster("d", "https://b:2"), user("v", "    token: tb\n"), context("cb", "d", "v"), "cb"), "",
         "https://a:1", "ta", "default"},
        {"an empty current-context does not hide a later one",
         file(cluster("c", "https://a:1"), user("u", "    token: ta\n"), context("ca", "c", "u")),
         file("", "", "", "ca"), "", "https://a:1", "ta", "default"},
        {"a cluster is taken whole from the first file: no field of the later one leaks in",
         file(cluster("c", "https://a:1"), user("u", "    token: ta\n"), context("x", "c", "u", "ns-a"), "x"),
         file(cluster("c", "https://b:2", "    tls-server-name: other\n"), user("u", "    token: tb\n"),
              context("x", "c", "u", "ns-b")),
         "", "https://a:1", "ta", "ns-a"},
        {"entries only in the second file are found", file("", "", "", "y"),
         file(cluster("c", "https://b:2"), user("u", "    token: tb\n"), context("y", "c", "u", "ns-b")), "",
         "https://b:2", "tb", "ns-b"},
        {"--context picks a context from any file",
         file(cluster("c", "https://a:1"), user("u", "    token: ta\n"), context("ca", "c", "u"), "ca"),
         file(cluster("d", "https://b:2"), user("v", "    token: tb\n"), context("cb", "d", "v", "ns-b")), "cb",
         "https://b:2", "tb", "ns-b"},
        {"a context in one file may name a cluster and user from the other",
         file("", user("u", "    token: ta\n"), context("mix", "d", "u"), "mix"),
         file(cluster("d", "https://b:2"), "", ""), "", "https://b:2", "ta", "default"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.rule) {
            write_file(a, c.file_a);
            write_file(b, c.file_b);
            auto const config = load_kubeconfig(KubeconfigLocations{"", a + ":" + b, ""}, c.context_flag);
            BOOST_REQUIRE_MESSAGE(config.has_value(), (config.has_error() ? config.error().message : std::string()));
            BOOST_TEST(config->server == c.server);
            BOOST_TEST(config->bearer_token == c.token);
            BOOST_TEST(config->namespace_ == c.namespace_);
            BOOST_TEST(config->tls_server_name.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(relative_paths_resolve_against_the_file_that_holds_them) {
    write_file(dir.file("b/ca.crt"), pki().ca_pem());
    write_file(dir.file("b/token"), "token-b\n");
    write_file(a, file("", "", "", "x"));
    write_file(b, "clusters:\n- name: c\n  cluster:\n    server: https://b:2\n    certificate-authority: ca.crt\n" +
                      std::string("users:\n") + user("u", "    tokenFile: token\n") + "contexts:\n" +
                      context("x", "c", "u"));
    auto const config = load_kubeconfig(KubeconfigLocations{"", a + ":" + b, ""}).value();
    BOOST_TEST(config.ca_pem == pki().ca_pem());
    BOOST_TEST(config.token_file == dir.file("b/token"));
    BOOST_TEST(config.bearer_token == "token-b");
}

BOOST_AUTO_TEST_CASE(missing_files_in_the_list_are_skipped_and_duplicates_read_once) {
    write_file(b, file(cluster("c", "https://b:2"), user("u", "    token: tb\n"), context("x", "c", "u"), "x"));
    auto const config =
        load_kubeconfig(KubeconfigLocations{"", dir.file("absent") + "::" + b + ":" + b, ""}).value();
    BOOST_TEST(config.server == "https://b:2");
    BOOST_TEST(config.origin == "kubeconfig " + b + " (context x)");
}

BOOST_AUTO_TEST_CASE(location_errors) {
    struct Case {
        char const* what;
        KubeconfigLocations locations;
        std::string message;
    };
    std::vector<Case> const cases{
        {"--kubeconfig naming a missing file", {dir.file("nope"), a, ""},
         "kubeconfig " + dir.file("nope") + " (--kubeconfig): the file does not exist"},
        {"every file in KUBECONFIG missing", {"", dir.file("x") + ":" + dir.file("y"), ""},
         "KUBECONFIG=" + dir.file("x") + ":" + dir.file("y") + ": none of the listed files exists"},
        {"no ~/.kube/config", {"", "", dir.path()},
         "kubeconfig " + dir.file(".kube/config") + ": the file does not exist"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            auto const config = load_kubeconfig(c.locations);
            BOOST_REQUIRE(config.has_error());
            BOOST_TEST(config.error().message == c.message);
        }
    }
}

// clientcmd skips missing files: the model is empty (the caller may use the in-cluster config).
BOOST_AUTO_TEST_CASE(kubeconfig_naming_only_missing_files_is_an_empty_model) {
    std::string source;
    auto const model = load_kubeconfig_model(KubeconfigLocations{"", dir.file("x") + ":" + dir.file("y"), ""}, source);
    BOOST_REQUIRE(model.has_value());
    BOOST_TEST(kubeconfig_is_empty(*model));
    BOOST_TEST(source == "KUBECONFIG=" + dir.file("x") + ":" + dir.file("y"));
    write_file(b, file(cluster("c", "https://b:2"), user("u", "    token: tb\n"), context("x", "c", "u"), "x"));
    auto const present = load_kubeconfig_model(KubeconfigLocations{"", dir.file("x") + ":" + b, ""}, source);
    BOOST_TEST(!kubeconfig_is_empty(present.value()));
}

BOOST_AUTO_TEST_CASE(an_unparsable_file_in_the_list_is_an_error_naming_it) {
    write_file(a, "clusters: [\n");
    write_file(b, file(cluster("c", "https://b:2"), user("u", "    token: tb\n"), context("x", "c", "u"), "x"));
    auto const config = load_kubeconfig(KubeconfigLocations{"", a + ":" + b, ""});
    BOOST_REQUIRE(config.has_error());
    BOOST_TEST(contains(config.error().message, "kubeconfig " + a + ": invalid YAML"));
}

BOOST_AUTO_TEST_CASE(explicit_file_wins_over_kubeconfig_and_home) {
    write_file(a, file(cluster("c", "https://a:1"), user("u", "    token: ta\n"), context("x", "c", "u"), "x"));
    write_file(b, file(cluster("c", "https://b:2"), user("u", "    token: tb\n"), context("x", "c", "u"), "x"));
    BOOST_TEST(load_kubeconfig(KubeconfigLocations{a, b, dir.path()}).value().server == "https://a:1");
    BOOST_TEST(load_kubeconfig(KubeconfigLocations{"", b, dir.path()}).value().server == "https://b:2");
}

BOOST_AUTO_TEST_CASE(home_kube_config_is_the_fallback) {
    std::filesystem::create_directories(dir.file(".kube"));
    write_file(dir.file(".kube/config"),
               file(cluster("c", "https://home:3"), user("u", "    token: th\n"), context("x", "c", "u"), "x"));
    auto const config = load_kubeconfig(KubeconfigLocations{"", "", dir.path()}).value();
    BOOST_TEST(config.server == "https://home:3");
    BOOST_TEST(config.origin == "kubeconfig " + dir.file(".kube/config") + " (context x)");
}

BOOST_AUTO_TEST_CASE(errors_in_merged_files_name_the_defining_file_and_context) {
    write_file(a, file("", "", context("x", "c", "u"), "x"));
    write_file(b, "clusters:\n- name: c\n  cluster:\n    server: https://b:2\n    certificate-authority: missing.crt\n");
    auto const config = load_kubeconfig(KubeconfigLocations{"", a + ":" + b, ""});
    BOOST_REQUIRE(config.has_error());
    BOOST_TEST(contains(config.error().message, "kubeconfig " + a + ":" + b + " (KUBECONFIG): context \"x\": cluster \"c\" "
                                                "(defined in " + b + "): certificate-authority \"" +
                                                dir.file("b/missing.crt") + "\": No such file or directory"));
}

BOOST_AUTO_TEST_CASE(merge_model_keeps_first_definitions) {
    Kubeconfig first;
    first.clusters["c"].server = "https://first";
    first.users["u"].token = "one";
    Kubeconfig second;
    second.clusters["c"].server = "https://second";
    second.clusters["d"].server = "https://d";
    second.current_context = "later";
    auto const merged = merge_kubeconfigs({first, second});
    BOOST_TEST(merged.clusters.at("c").server == "https://first");
    BOOST_TEST(merged.clusters.at("d").server == "https://d");
    BOOST_TEST(merged.users.at("u").token == "one");
    BOOST_TEST(merged.current_context == "later");
}

BOOST_AUTO_TEST_SUITE_END()
