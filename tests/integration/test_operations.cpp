// Operations: what a platform team relies on. The agent's logs (JSON parses, no secrets), the
// container's runtime file tree (the binary runs from it under chroot), the shipped manifests
// (kubectl loads them; the RBAC is exactly the least-privilege set) and docs/flags.md (in sync
// with --help).

#include "common/sandbox.hpp"

#include "util/base64.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

using namespace gic;
using namespace gic::test;
namespace fs = std::filesystem;

namespace {

// The source tree, from this file's path as the compiler saw it (relative to the build root,
// which is two levels above the agent binary: <build>/src/gen-istio-cert).
fs::path source_root() {
    fs::path file(__FILE__);
    if (file.is_relative()) file = fs::path(agent_binary()).parent_path().parent_path() / file;
    return fs::weakly_canonical(file).parent_path().parent_path().parent_path();
}

std::vector<std::string> lines_of(std::string const& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

std::string data_of(boost::json::object const& secret, char const* key) {
    return *util::base64_decode(secret.at("data").at(key).as_string());
}

// Every line is one JSON object with time, level, component and msg.
void check_json_lines(std::string const& log, std::string const& what) {
    auto lines = lines_of(log);
    BOOST_TEST(!lines.empty(), what << " logged nothing");
    for (auto const& line : lines) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        BOOST_TEST_REQUIRE(!ec, what << ": not JSON: " << line);
        BOOST_TEST_REQUIRE(v.is_object(), what << ": not a JSON object: " << line);
        for (auto const* key : {"time", "level", "component", "msg"})
            BOOST_TEST(v.as_object().contains(key), what << ": no \"" << key << "\" in " << line);
    }
}

// Pieces of a secret that must never appear: the whole text and every long line or JWT segment of it.
std::vector<std::string> fragments_of(std::string const& secret_text) {
    std::vector<std::string> out{secret_text};
    for (auto const& line : lines_of(secret_text))
        if (line.size() >= 16 && line.find("-----") == std::string::npos) out.push_back(line);
    std::string token = secret_text;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (std::count(token.begin(), token.end(), '.') == 2) {
        std::istringstream in(token);
        for (std::string seg; std::getline(in, seg, '.');)
            if (seg.size() >= 16) out.push_back(seg);
    }
    return out;
}

void check_no_secrets(std::string const& log, std::vector<std::pair<std::string, std::string>> const& secrets,
                      std::string const& what) {
    for (auto const* marker : {"PRIVATE KEY", "BEGIN CERTIFICATE", "eyJhbGci"})
        BOOST_TEST(log.find(marker) == std::string::npos, what << " contains \"" << marker << "\"");
    for (auto const& [name, text] : secrets)
        for (auto const& fragment : fragments_of(text))
            BOOST_TEST(log.find(fragment) == std::string::npos, what << " contains part of the " << name);
}

std::uintmax_t tree_size(fs::path const& root) {
    std::uintmax_t total = 0;
    for (auto const& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file() && !e.is_symlink()) total += e.file_size();
    return total;
}

std::set<std::string> tree_listing(fs::path const& root) {
    std::set<std::string> out;
    for (auto const& e : fs::recursive_directory_iterator(root)) out.insert(fs::relative(e.path(), root).string());
    return out;
}

void copy_into_tree(std::string const& from, fs::path const& to) {
    fs::create_directories(to.parent_path());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    fs::permissions(to, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
}

// Flag names of `gen-istio-cert --help` ("  --ca-address arg (=...)", "  -h [ --help ]").
std::set<std::string> flags_in_help(std::string const& help) {
    std::set<std::string> out;
    std::regex const option_line(R"(^  (?:-[a-zA-Z] \[ )?--([a-z][a-z0-9-]*))");
    for (auto const& line : lines_of(help)) {
        std::smatch m;
        if (std::regex_search(line, m, option_line)) out.insert(m[1]);
    }
    return out;
}

// Flag names of the docs/flags.md table rows ("| `--ca-address` | ...").
std::set<std::string> flags_in_doc(std::string const& doc) {
    std::set<std::string> out;
    std::regex const row(R"(^\| `--([a-z][a-z0-9-]*)`)");
    for (auto const& line : lines_of(doc)) {
        std::smatch m;
        if (std::regex_search(line, m, row)) out.insert(m[1]);
    }
    return out;
}

std::string joined(std::set<std::string> const& s) {
    std::string out;
    for (auto const& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
}


// The two emulators with RBAC enforced for service-account callers (the admin kubeconfig is not
// restricted), the way Sandbox starts them.
struct RbacCluster {
    TempDir dir{"gic-rbac"};
    std::unique_ptr<ChildProcess> kube;
    std::unique_ptr<ChildProcess> istiod;
    std::string ca_address;

    RbacCluster() {
        std::string const sa = std::string(Sandbox::sa_namespace) + "/" + Sandbox::sa_name;
        kube = std::make_unique<ChildProcess>(
            std::vector<std::string>{std::getenv("KUBE_EMULATOR"), "--listen", "127.0.0.1:0", "--state-dir", dir.file("kube"),
                                     "--service-account", sa, "--authorization", "RBAC"},
            dir.file("kube.log"));
        if (!kube->wait_for(R"(listening on https://127\.0\.0\.1:(\d+))", std::chrono::seconds(20)))
            throw std::runtime_error("kube-apiserver-emulator did not start:\n" + kube->log());
        istiod = std::make_unique<ChildProcess>(
            std::vector<std::string>{std::getenv("ISTIOD_EMULATOR"), "--listen", "127.0.0.1:0", "--state-dir", dir.file("istiod"),
                                     "--kubeconfig", admin_kubeconfig(), "--publish-namespace", Sandbox::sa_namespace},
            dir.file("istiod.log"));
        auto ready = istiod->wait_for(R"(listening on 127\.0\.0\.1:(\d+))", std::chrono::seconds(20));
        if (!ready) throw std::runtime_error("istiod-emulator did not start:\n" + istiod->log());
        ca_address = "127.0.0.1:" + (*ready)[1];
    }
    ~RbacCluster() {
        istiod->signal(SIGTERM);
        kube->signal(SIGTERM);
        istiod->wait(std::chrono::seconds(5));
        kube->wait(std::chrono::seconds(5));
    }
    std::string admin_kubeconfig() const { return dir.file("kube/admin.kubeconfig"); }
    std::string sa_dir() const { return dir.file("kube/serviceaccounts/") + Sandbox::sa_namespace + "/" + Sandbox::sa_name; }

    ProcessResult kubectl(std::vector<std::string> args, std::string const& stdin_text = {}) const {
        std::vector<std::string> argv{std::getenv("KUBECTL"), "--kubeconfig", admin_kubeconfig(), "--cache-dir", dir.file("cache")};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_process(argv, std::chrono::seconds(30), {}, stdin_text);
    }
    // gen-istio-cert --once as the service account, with its own kubeconfig.
    ProcessResult agent_once(std::string const& secret) const {
        return run_process({agent_binary(), "--once", "--ca-address", ca_address, "--root-cert-path",
                            dir.file("istiod/root-cert.pem"), "--istio-token-path", sa_dir() + "/istio-token", "--kubeconfig",
                            sa_dir() + "/kubeconfig", "--output-secret", secret},
                           std::chrono::seconds(60), {"POD_NAME=rbac-0"});
    }
};

// The namespaced Role as shipped, minus the verb `drop` on `resource` when given.
std::string role_without(std::string const& resource, std::string const& drop) {
    auto text = read_file((source_root() / "manifests/rbac-namespaced/role.yaml").string());
    if (resource.empty()) return text;
    auto const rule = "resources: [\"" + resource + "\"]\n  verbs: [";
    auto at = text.find(rule);
    if (at == std::string::npos) throw std::runtime_error("no rule for " + resource + " in role.yaml");
    auto verbs_at = at + rule.size();
    auto end = text.find(']', verbs_at);
    auto verbs = text.substr(verbs_at, end - verbs_at);
    auto const quoted = "\"" + drop + "\"";
    auto v = verbs.find(quoted);
    if (v == std::string::npos) throw std::runtime_error("no verb " + drop + " for " + resource + " in role.yaml");
    verbs.erase(v, quoted.size());
    while (verbs.find(", ,") != std::string::npos) verbs.replace(verbs.find(", ,"), 3, ",");
    if (verbs.rfind(", ", 0) == 0) verbs.erase(0, 2);
    if (verbs.size() >= 2 && verbs.substr(verbs.size() - 2) == ", ") verbs.erase(verbs.size() - 2);
    return text.replace(verbs_at, end - verbs_at, verbs);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(operations)

BOOST_AUTO_TEST_CASE(json_logs_parse_and_carry_no_token_key_or_certificate) {
    Sandbox sb;
    // A short lifetime, so that the continuous run renews twice within seconds.
    std::vector<std::string> const json_debug{"--log-level", "debug", "--log-format", "json", "--cert-ttl", "4s"};

    auto once_args = json_debug;
    once_args.push_back("--once");
    auto once = sb.run_agent(once_args);
    BOOST_TEST_REQUIRE(once.exit_code == 0, once.err);
    check_json_lines(once.err, "--once stderr");

    auto args = json_debug;
    args.insert(args.end(), {"--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address",
                             "127.0.0.1:0"});
    auto agent = sb.start_agent(args, "continuous-json");
    // The stored certificate is due within 2 s; it is renewed, then renewed again about 2 s later.
    std::regex const written(R"re("msg":"certificate written")re");
    BOOST_TEST_REQUIRE(agent->wait_for_line(written, std::chrono::seconds(30)).has_value(), agent->log());
    BOOST_TEST_REQUIRE(agent->wait_for_line(written, std::chrono::seconds(30)).has_value(), agent->log());
    agent->signal(SIGTERM);
    auto rc = agent->wait(std::chrono::seconds(20));
    BOOST_TEST_REQUIRE(rc.has_value(), agent->log());
    BOOST_TEST(*rc == 0, agent->log());
    check_json_lines(agent->log(), "continuous log");

    auto secret = sb.get_json("secret", "istio-certs", Sandbox::sa_namespace);
    BOOST_TEST_REQUIRE(!secret.empty());
    std::vector<std::pair<std::string, std::string>> const secrets{
        {"Istio token", read_file(sb.sa_dir() + "/istio-token")},
        {"Kubernetes token", read_file(sb.sa_dir() + "/token")},
        {"private key", data_of(secret, "tls.key")},
        {"certificate chain", data_of(secret, "tls.crt")},
    };
    check_no_secrets(once.err + once.out, secrets, "--once output");
    check_no_secrets(agent->log(), secrets, "continuous log");
}

BOOST_AUTO_TEST_CASE(container_rootfs_holds_everything_the_agent_needs) {
    Sandbox sb;
    TempDir work("gic-rootfs");
    fs::path const tree = work.file("rootfs");
    auto assembled = run_process({(source_root() / "container/assemble-rootfs.sh").string(), agent_binary(), tree.string()},
                                 std::chrono::seconds(120));
    BOOST_TEST_REQUIRE(assembled.exit_code == 0, assembled.out << assembled.err);
    // The script's figure (du, directories included) and the sum of the files: both under 40 MiB.
    std::smatch reported;
    BOOST_TEST_REQUIRE(std::regex_search(assembled.out, reported, std::regex(R"(rootfs-size-bytes (\d+))")), assembled.out);
    auto const du_bytes = std::stoull(reported[1]);
    auto const file_bytes = tree_size(tree);
    std::cout << "runtime image tree: " << du_bytes << " bytes on disk, " << file_bytes << " bytes of files ("
              << (du_bytes + 512 * 1024) / (1024 * 1024) << " MiB)" << std::endl;
    BOOST_TEST(file_bytes <= du_bytes);
    BOOST_TEST(du_bytes < 40u * 1024 * 1024);
    BOOST_TEST(fs::exists(tree / "usr/local/bin/gen-istio-cert"));
    BOOST_TEST(read_file((tree / "etc/passwd").string()).find(":65532:65532:") != std::string::npos);
    BOOST_TEST(!fs::exists(tree / "bin/sh"));

    // The inputs a pod mounts, at the paths the Deployment mounts them.
    copy_into_tree(sb.root_cert(), tree / "var/run/secrets/istio/root-cert.pem");
    copy_into_tree(sb.sa_dir() + "/istio-token", tree / "var/run/secrets/tokens/istio-token");
    copy_into_tree(sb.sa_dir() + "/token", tree / "var/run/secrets/kube/token");
    {
        // The kubeconfig names its token file by host path; inside the tree it is elsewhere.
        auto kubeconfig = read_file(sb.sa_dir() + "/kubeconfig");
        auto const host_token = sb.sa_dir() + "/token";
        for (auto at = kubeconfig.find(host_token); at != std::string::npos; at = kubeconfig.find(host_token))
            kubeconfig.replace(at, host_token.size(), (geteuid() == 0 ? std::string() : tree.string()) + "/var/run/secrets/kube/token");
        write_file((tree / "var/run/secrets/kube/kubeconfig").string(), kubeconfig, 0644);
    }
    auto const before = tree_listing(tree);

    std::vector<std::string> prefix;
    std::vector<std::string> env{"POD_NAME=gateway-image"};
    std::string bin = "/usr/local/bin/gen-istio-cert";
    std::string inputs = "";
    if (geteuid() == 0) {
        // As in the image: chroot into the tree as 65532, nothing from the host visible.
        prefix = {"chroot", "--userspec=65532:65532", tree.string()};
    } else {
        // Without root: the tree's own loader and libraries, host paths for the inputs.
        prefix = {(tree / "lib64/ld-linux-x86-64.so.2").string(), "--library-path",
                  (tree / "lib/x86_64-linux-gnu").string() + ":" + (tree / "usr/lib/x86_64-linux-gnu").string()};
        bin = (tree / "usr/local/bin/gen-istio-cert").string();
        inputs = tree.string();
    }
    auto version_argv = prefix;
    version_argv.insert(version_argv.end(), {bin, "--version"});
    auto version = run_process(version_argv);
    BOOST_TEST_REQUIRE(version.exit_code == 0, version.out << version.err);
    BOOST_TEST(version.out.find("gen-istio-cert ") == 0u, version.out);

    auto once_argv = prefix;
    once_argv.insert(once_argv.end(),
                     {bin, "--once", "--ca-address", sb.ca_address(), "--root-cert-path", inputs + "/var/run/secrets/istio/root-cert.pem",
                      "--istio-token-path", inputs + "/var/run/secrets/tokens/istio-token", "--kubeconfig",
                      inputs + "/var/run/secrets/kube/kubeconfig", "--output-secret-ns", Sandbox::sa_namespace,
                      "--output-secret", "from-image", "--log-format", "json"});
    auto once = run_process(once_argv, std::chrono::seconds(60), env);
    BOOST_TEST_REQUIRE(once.exit_code == 0, once.out << once.err);
    BOOST_TEST(!sb.get_json("secret", "from-image", Sandbox::sa_namespace).empty());
    // Read-only root filesystem: the run wrote nothing into the tree.
    BOOST_TEST((tree_listing(tree) == before));
}

BOOST_AUTO_TEST_CASE(manifests_load_and_grant_exactly_the_documented_rules) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.has_kubectl());
    auto const manifests = source_root() / "manifests";

    // Both kustomizations build.
    auto built = run_process({std::getenv("KUBECTL"), "kustomize", manifests.string()}, std::chrono::seconds(60));
    BOOST_TEST_REQUIRE(built.exit_code == 0, built.err);
    for (auto const* kind : {"kind: ServiceAccount", "kind: ClusterRole\n", "kind: ClusterRoleBinding", "kind: Deployment"})
        BOOST_TEST(built.out.find(kind) != std::string::npos, kind);
    auto built_ns = run_process({std::getenv("KUBECTL"), "kustomize", (manifests / "rbac-namespaced").string()},
                                std::chrono::seconds(60));
    BOOST_TEST_REQUIRE(built_ns.exit_code == 0, built_ns.err);

    // The API server accepts the RBAC objects as written.
    for (auto const* file : {"rbac/cluster-role.yaml", "rbac-namespaced/role.yaml"}) {
        auto created = sb.kubectl({"create", "-f", (manifests / file).string()});
        BOOST_TEST(created.exit_code == 0, file << ": " << created.out << created.err);
    }
    std::set<std::string> const expected{"/secrets:create,get,update", "coordination.k8s.io/leases:create,get,list,update,watch",
                                         "/events:create"};
    auto rules_of = [](boost::json::object const& role) {
        std::set<std::string> out;
        for (auto const& r : role.at("rules").as_array()) {
            std::set<std::string> verbs;
            for (auto const& v : r.at("verbs").as_array()) verbs.insert(std::string(v.as_string()));
            for (auto const& g : r.at("apiGroups").as_array())
                for (auto const& res : r.at("resources").as_array())
                    out.insert(std::string(g.as_string()) + "/" + std::string(res.as_string()) + ":" + [&] {
                        std::string s;
                        for (auto const& v : verbs) s += (s.empty() ? "" : ",") + v;
                        return s;
                    }());
        }
        return out;
    };
    auto cluster_role = sb.kubectl({"get", "clusterrole", "teg-gen-certs-role", "-o", "json"});
    BOOST_TEST_REQUIRE(cluster_role.exit_code == 0, cluster_role.err);
    BOOST_TEST((rules_of(boost::json::parse(cluster_role.out).as_object()) == expected));
    auto role = sb.get_json("role", "teg-gen-certs-role", Sandbox::sa_namespace);
    BOOST_TEST_REQUIRE(!role.empty());
    BOOST_TEST((rules_of(role) == expected));
    auto binding = sb.get_json("rolebinding", "teg-gen-certs-rb", Sandbox::sa_namespace);
    BOOST_TEST_REQUIRE(!binding.empty());
    BOOST_TEST(binding.at("subjects").as_array().at(0).at("name").as_string() == Sandbox::sa_name);
}

BOOST_AUTO_TEST_CASE(shipped_role_is_enough_for_once_and_each_secrets_verb_is_needed) {
    RbacCluster cluster;
    auto const forbidden_first = cluster.agent_once("before-rbac");
    BOOST_TEST(forbidden_first.exit_code != 0, "the agent wrote a Secret without any RBAC");
    BOOST_TEST(forbidden_first.err.find("forbidden: RBAC must allow verb") != std::string::npos, forbidden_first.err);

    auto applied = cluster.kubectl({"create", "-f", "-"}, role_without("", ""));
    BOOST_TEST_REQUIRE(applied.exit_code == 0, applied.out << applied.err);
    auto created = cluster.agent_once("istio-certs");
    BOOST_TEST_REQUIRE(created.exit_code == 0, created.err);
    auto updated = cluster.agent_once("istio-certs");
    BOOST_TEST_REQUIRE(updated.exit_code == 0, updated.err);

    // Without any one of the Secret verbs, --once fails and names the missing rule.
    for (auto const* verb : {"get", "create", "update"}) {
        auto replaced = cluster.kubectl({"replace", "-f", "-"}, role_without("secrets", verb));
        BOOST_TEST_REQUIRE(replaced.exit_code == 0, replaced.out << replaced.err);
        // "update" is only needed once the Secret exists; "create" only while it does not.
        auto const secret = std::string(verb) == "create" ? "fresh-" + std::string(verb) : std::string("istio-certs");
        auto denied = cluster.agent_once(secret);
        BOOST_TEST(denied.exit_code != 0, "--once succeeded without secrets/" << verb);
        BOOST_TEST(denied.err.find("RBAC must allow verb \"" + std::string(verb) + "\" on \"secrets\"") != std::string::npos,
                   verb << ": " << denied.err);
    }
}

BOOST_AUTO_TEST_CASE(deployment_example_is_a_hardened_sidecar) {
    auto const docs = YAML::LoadAllFromFile((source_root() / "manifests/deployment.yaml").string());
    BOOST_TEST_REQUIRE(docs.size() == 1u);
    auto const spec = docs[0]["spec"]["template"]["spec"];
    BOOST_TEST(spec["serviceAccountName"].as<std::string>() == "teg-istio");
    YAML::Node sidecar;
    for (auto const& c : spec["containers"])
        if (c["name"].as<std::string>() == "gen-istio-cert") sidecar.reset(c);
    BOOST_TEST_REQUIRE(sidecar.IsDefined());
    auto const sc = sidecar["securityContext"];
    BOOST_TEST(sc["runAsNonRoot"].as<bool>());
    BOOST_TEST(sc["runAsUser"].as<int>() == 65532);
    BOOST_TEST(sc["readOnlyRootFilesystem"].as<bool>());
    BOOST_TEST(!sc["allowPrivilegeEscalation"].as<bool>());
    BOOST_TEST(sc["capabilities"]["drop"][0].as<std::string>() == "ALL");
    BOOST_TEST(sc["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
    BOOST_TEST(sidecar["resources"]["requests"].IsDefined());
    BOOST_TEST(sidecar["resources"]["limits"]["memory"].IsDefined());

    // Probes reach the health listener the args configure.
    std::string health_address;
    for (auto const& a : sidecar["args"]) {
        auto arg = a.as<std::string>();
        if (arg.rfind("--health-probe-bind-address=", 0) == 0) health_address = arg.substr(arg.find('=') + 1);
    }
    BOOST_TEST_REQUIRE(!health_address.empty());
    int health_port = 0;
    for (auto const& p : sidecar["ports"])
        if (p["name"].as<std::string>() == "health") health_port = p["containerPort"].as<int>();
    BOOST_TEST(":" + std::to_string(health_port) == health_address);
    BOOST_TEST(sidecar["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/healthz");
    BOOST_TEST(sidecar["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/readyz");
    BOOST_TEST(sidecar["livenessProbe"]["httpGet"]["port"].as<std::string>() == "health");

    bool pod_name = false;
    for (auto const& e : sidecar["env"])
        if (e["name"].as<std::string>() == "POD_NAME")
            pod_name = e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>() == "metadata.name";
    BOOST_TEST(pod_name);

    // The mounts sit where the flags' defaults look.
    std::map<std::string, std::string> mounts;
    for (auto const& m : sidecar["volumeMounts"]) mounts[m["name"].as<std::string>()] = m["mountPath"].as<std::string>();
    BOOST_TEST(mounts["istio-token"] == "/var/run/secrets/tokens");
    BOOST_TEST(mounts["istiod-ca-cert"] == "/var/run/secrets/istio");
    bool token = false, root = false;
    for (auto const& v : spec["volumes"]) {
        if (v["name"].as<std::string>() == "istio-token") {
            auto sat = v["projected"]["sources"][0]["serviceAccountToken"];
            token = sat["audience"].as<std::string>() == "istio-ca" && sat["expirationSeconds"].as<int>() == 43200 &&
                    sat["path"].as<std::string>() == "istio-token";
        }
        if (v["name"].as<std::string>() == "istiod-ca-cert") root = v["configMap"]["name"].as<std::string>() == "istio-ca-root-cert";
    }
    BOOST_TEST(token);
    BOOST_TEST(root);
}

BOOST_AUTO_TEST_CASE(flags_doc_lists_exactly_the_flags_of_help) {
    auto help = run_process({agent_binary(), "--help"});
    BOOST_TEST_REQUIRE(help.exit_code == 0, help.err);
    auto const in_help = flags_in_help(help.out);
    BOOST_TEST_REQUIRE(in_help.count("ca-address") == 1u, help.out);
    auto const in_doc = flags_in_doc(read_file((source_root() / "docs/flags.md").string()));
    std::set<std::string> missing, extra;
    std::set_difference(in_help.begin(), in_help.end(), in_doc.begin(), in_doc.end(), std::inserter(missing, missing.end()));
    std::set_difference(in_doc.begin(), in_doc.end(), in_help.begin(), in_help.end(), std::inserter(extra, extra.end()));
    BOOST_TEST(missing.empty(), "flags in --help but not in docs/flags.md: " << joined(missing));
    BOOST_TEST(extra.empty(), "flags in docs/flags.md but not in --help: " << joined(extra));
}

BOOST_AUTO_TEST_SUITE_END()
