// Operations: what a platform team relies on. The agent's logs (JSON parses, no secrets), its
// /metrics, /healthz and /readyz as a scraper and the kubelet see them (two elected replicas, a
// failover, a CA outage, token and root reloads), the container's runtime file tree (the binary
// runs from it under chroot), the shipped manifests (kubectl loads them; with RBAC enforced a full
// continuous cycle works as the service account, every rule is needed, and nothing else is
// used) and docs/flags.md (in sync with --help).

#include "common/sandbox.hpp"
#include "common/sanitizers.hpp"
#include "common/token_signing_key.hpp"
#include "operations_metrics.hpp"

#include "pki/pki.hpp"
#include "util/base64.hpp"
#include "util/time_format.hpp"

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
                                     "--service-account", sa, "--authorization", "RBAC", "--service-account-signing-key-file",
                                     token_signing_key_file()},
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
    // gen-istio-cert in continuous mode as the service account (JSON logs, no listeners, short
    // Lease timings), then `extra`; its output goes to <dir>/<pod>.log.
    std::unique_ptr<ChildProcess> start_agent(std::string const& pod, std::vector<std::string> const& extra) const {
        std::vector<std::string> argv{agent_binary(), "--ca-address", ca_address, "--root-cert-path",
                                      dir.file("istiod/root-cert.pem"), "--istio-token-path", sa_dir() + "/istio-token",
                                      "--kubeconfig", sa_dir() + "/kubeconfig", "--log-format", "json",
                                      "--metrics-bind-address=0", "--health-probe-bind-address=0", "--lease-duration", "3s",
                                      "--renew-deadline", "2s", "--retry-period", "500ms"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return std::make_unique<ChildProcess>(argv, dir.file(pod + ".log"), std::vector<std::string>{"POD_NAME=" + pod});
    }
    // An admin endpoint's items (/emulator/v1/requests, /emulator/v1/audit).
    boost::json::array admin_items(std::string const& path) const {
        auto r = kubectl({"get", "--raw", path});
        if (r.exit_code != 0) throw std::runtime_error("GET " + path + " failed: " + r.err);
        return boost::json::parse(r.out).at("items").as_array();
    }
    ProcessResult events() const { return kubectl({"get", "events", "-n", Sandbox::sa_namespace, "-o", "json"}); }
    bool has_secret(std::string const& name) const {
        return kubectl({"get", "secret", name, "-n", Sandbox::sa_namespace, "-o", "name"}).exit_code == 0;
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
    if (verbs.empty()) {
        // A rule without verbs is invalid: drop the whole rule ("- apiGroups: ..." to its verbs line).
        auto const rule_start = text.rfind("\n- apiGroups:", at) + 1;
        auto const rule_end = text.find('\n', end) + 1;
        return text.erase(rule_start, rule_end - rule_start);
    }
    return text.replace(verbs_at, end - verbs_at, verbs);
}

using namespace std::chrono_literals;
using ops::wait_until;

std::string const certs_secret_label = std::string(Sandbox::sa_namespace) + "/istio-certs";
std::string const service_account_user =
    std::string("system:serviceaccount:") + Sandbox::sa_namespace + ":" + Sandbox::sa_name;

// Lease timings short enough for a failover within a test (lease > renew deadline > 1.2 x retry
// period, as client-go requires).
std::vector<std::string> const short_lease{"--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "500ms"};

std::vector<std::string> plus(std::vector<std::string> a, std::vector<std::string> const& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// The families docs/operations.md lists, with their types.
std::map<std::string, std::string> const documented_families{
    {"gen_istio_cert_certificate_not_after_seconds", "gauge"},
    {"gen_istio_cert_last_successful_renewal_seconds", "gauge"},
    {"gen_istio_cert_renewals_total", "counter"},
    {"gen_istio_cert_ca_request_duration_seconds", "histogram"},
    {"gen_istio_cert_ca_requests_total", "counter"},
    {"gen_istio_cert_kube_requests_total", "counter"},
    {"gen_istio_cert_leader", "gauge"},
    {"gen_istio_cert_leader_transitions_total", "counter"},
    {"gen_istio_cert_token_reloads_total", "counter"},
    {"gen_istio_cert_root_reloads_total", "counter"},
    {"gen_istio_cert_build_info", "gauge"},
};

// An agent in continuous mode with its metrics and probes on free loopback ports.
struct ObservedAgent {
    std::string pod;
    std::unique_ptr<ChildProcess> process;
    ops::Endpoints endpoints;
};

ObservedAgent start_observed(Sandbox const& sb, std::string const& pod, std::vector<std::string> const& flags) {
    auto process = sb.start_agent(plus(flags, {"--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address",
                                               "127.0.0.1:0"}),
                                  pod, {"POD_NAME=" + pod});
    auto endpoints = ops::Endpoints::of(*process);
    return ObservedAgent{pod, std::move(process), std::move(endpoints)};
}

// A scrape that must be well-formed exposition with every documented family announced.
ops::Exposition checked_scrape(ObservedAgent const& agent) {
    auto e = agent.endpoints.scrape();
    BOOST_TEST(e.errors.empty(), agent.pod << ": /metrics is not valid exposition:\n" << ops::joined(e.errors));
    for (auto const& [name, type] : documented_families) {
        BOOST_TEST((e.types.count(name) == 1u && e.types.at(name) == type), agent.pod << ": no TYPE " << type << " for " << name);
        BOOST_TEST((e.helps.count(name) == 1u && !e.helps.at(name).empty()), agent.pod << ": no HELP for " << name);
    }
    return e;
}

// CreateCertificate durations: cumulative buckets at the documented bounds (5 ms ... 30 s, +Inf),
// their +Inf bucket and _count equal to the calls counted by code.
void check_ca_histogram(ops::Exposition const& e, std::string const& who) {
    std::string const name = "gen_istio_cert_ca_request_duration_seconds";
    auto buckets = e.find(name + "_bucket");
    std::vector<double> const bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, HUGE_VAL};
    BOOST_TEST_REQUIRE(buckets.size() == bounds.size(), who << ": " << buckets.size() << " buckets");
    double previous = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        double le = 0;
        BOOST_TEST(ops::detail::parse_value(buckets[i].labels.at("le"), le));
        BOOST_TEST(le == bounds[i], who << ": bucket " << i << " le=" << buckets[i].labels.at("le"));
        BOOST_TEST(buckets[i].value >= previous, who << ": buckets are not cumulative at le=" << buckets[i].labels.at("le"));
        previous = buckets[i].value;
    }
    auto const count = e.value(name + "_count");
    BOOST_TEST_REQUIRE(count.has_value(), who << ": no " << name << "_count");
    BOOST_TEST(*count == buckets.back().value, who << ": _count differs from the +Inf bucket");
    BOOST_TEST(*count == e.total("gen_istio_cert_ca_requests_total"), who << ": _count differs from ca_requests_total");
    BOOST_TEST(e.value(name + "_sum").value_or(-1) >= 0.0);
}

double unix_seconds(std::chrono::system_clock::time_point t) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

// The leaf of the Secret istio-certs (the first certificate of tls.crt).
std::optional<pki::Certificate> stored_leaf(Sandbox const& sb) {
    auto const secret = sb.get_json("secret", "istio-certs", Sandbox::sa_namespace);
    if (secret.empty()) return std::nullopt;
    auto chain = pki::parse_pem_bundle(data_of(secret, "tls.crt"));
    if (!chain || chain->empty()) return std::nullopt;
    return chain->front();
}

void stop_agent(ChildProcess& agent) {
    agent.signal(SIGTERM);
    auto const rc = agent.wait(20s);
    BOOST_TEST(rc.has_value(), "the agent did not stop on SIGTERM:\n" << agent.log());
    if (rc) BOOST_TEST(*rc == 0, "exit " << *rc << "\n" << agent.log());
}

// Events of `kubectl get events -o json` output about an object of `kind` with `reason`.
std::vector<boost::json::object> events_from(ProcessResult const& listed, std::string const& kind, std::string const& reason,
                                             std::string const& name = {}) {
    std::vector<boost::json::object> out;
    if (listed.exit_code != 0) return out;
    auto const parsed = boost::json::parse(listed.out);  // named: a range-for would not extend its life
    for (auto const& v : parsed.at("items").as_array()) {
        auto const& e = v.as_object();
        auto const& involved = e.at("involvedObject").as_object();
        if (e.at("reason").as_string() != reason || involved.at("kind").as_string() != kind) continue;
        if (!name.empty() && involved.at("name").as_string() != name) continue;
        out.push_back(e);
    }
    return out;
}

// The JSON log records of an agent run with --log-format json (lines that are not JSON are skipped).
std::vector<boost::json::object> log_records(std::string const& log) {
    std::vector<boost::json::object> out;
    for (auto const& line : lines_of(log)) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object()) out.push_back(std::move(v.as_object()));
    }
    return out;
}

std::string field(boost::json::object const& record, char const* key) {
    auto const* v = record.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::size_t count_records(std::string const& log, std::string const& msg) {
    std::size_t n = 0;
    for (auto const& r : log_records(log))
        if (field(r, "msg") == msg) ++n;
    return n;
}

// A record whose message contains `msg` and whose error names `needle`.
bool has_record_naming(std::string const& log, std::string const& msg, std::string const& needle) {
    for (auto const& r : log_records(log))
        if (field(r, "msg").find(msg) != std::string::npos && field(r, "error").find(needle) != std::string::npos) return true;
    return false;
}

// "group/resource:verb" for each verb of each rule of the shipped namespaced Role.
std::set<std::string> granted_by_shipped_role() {
    std::set<std::string> out;
    for (auto const& doc : YAML::LoadAllFromFile((source_root() / "manifests/rbac-namespaced/role.yaml").string())) {
        if (doc["kind"].as<std::string>() != "Role") continue;
        for (auto const& rule : doc["rules"])
            for (auto const& group : rule["apiGroups"])
                for (auto const& resource : rule["resources"])
                    for (auto const& verb : rule["verbs"])
                        out.insert(group.as<std::string>() + "/" + resource.as<std::string>() + ":" + verb.as<std::string>());
    }
    return out;
}

// The API group of a request path: /api/v1/... is the core group, /apis/<group>/<version>/... a named one.
std::string group_of(std::string const& path) {
    if (path.rfind("/apis/", 0) != 0) return "";
    auto const start = std::string("/apis/").size();
    return path.substr(start, path.find('/', start) - start);
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
    if (gic::test::address_sanitizer) {
        // The instrumented agent drags in its sanitizer runtime, which needs /proc in the chroot.
        BOOST_TEST_MESSAGE("skipped under AddressSanitizer: the image tree is the normal build's");
        return;
    }
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

BOOST_AUTO_TEST_CASE(two_elected_replicas_report_one_leader_renewals_requests_and_probes) {
    Sandbox sb;
    // 4 s certificates are renewed after about 2 s.
    auto const flags = plus(short_lease, {"--cert-ttl", "4s"});
    std::vector<ObservedAgent> replicas;
    replicas.push_back(start_observed(sb, "gateway-0", flags));
    replicas.push_back(start_observed(sb, "gateway-1", flags));
    auto const logs = [&] {
        std::string out;
        for (auto const& r : replicas) out += "---- " + r.pod + "\n" + r.process->log();
        return out;
    };

    // One leader, which issued and then renewed.
    std::size_t leader = 0;
    BOOST_TEST_REQUIRE(wait_until(
                           [&] {
                               std::vector<std::size_t> leading;
                               for (std::size_t i = 0; i < replicas.size(); ++i)
                                   if (replicas[i].endpoints.scrape().value("gen_istio_cert_leader") == 1.0) leading.push_back(i);
                               if (leading.size() != 1) return false;
                               leader = leading.front();
                               return replicas[leader].endpoints.scrape().total("gen_istio_cert_renewals_total",
                                                                                {{"result", "success"}}) >= 2;
                           },
                           60s),
                       logs());
    auto const& lead = replicas[leader];
    auto const& follower = replicas[1 - leader];
    auto const led = checked_scrape(lead);
    auto const followed = checked_scrape(follower);
    BOOST_TEST(led.value("gen_istio_cert_leader").value_or(-1) == 1.0);
    BOOST_TEST(followed.value("gen_istio_cert_leader").value_or(-1) == 0.0, "the follower does not report leader 0");
    BOOST_TEST(led.value("gen_istio_cert_leader_transitions_total").value_or(-1) == 1.0);
    BOOST_TEST(followed.value("gen_istio_cert_leader_transitions_total").value_or(-1) == 0.0);

    // Renewals and CA calls: the leader's, by outcome and code; the follower made none.
    BOOST_TEST(led.value("gen_istio_cert_renewals_total", {{"secret", certs_secret_label}, {"result", "success"}}).value_or(0) >= 2);
    BOOST_TEST(led.value("gen_istio_cert_ca_requests_total", {{"code", "OK"}}).value_or(0) >= 2);
    BOOST_TEST(followed.total("gen_istio_cert_ca_requests_total") == 0.0);
    BOOST_TEST(followed.total("gen_istio_cert_renewals_total") == 0.0);
    check_ca_histogram(led, lead.pod);
    check_ca_histogram(followed, follower.pod);

    // Kubernetes requests by verb, resource and code: the leader creates and renews the Lease,
    // creates then updates the Secret, and posts Events; the follower follows the Lease and reads
    // the Secret for its readiness.
    using ops::Labels;
    BOOST_TEST(led.total("gen_istio_cert_kube_requests_total", Labels{{"verb", "update"}, {"resource", "leases"}, {"code", "200"}}) >= 1);
    BOOST_TEST(led.total("gen_istio_cert_kube_requests_total", Labels{{"verb", "create"}, {"resource", "secrets"}, {"code", "201"}}) == 1);
    BOOST_TEST(led.total("gen_istio_cert_kube_requests_total", Labels{{"verb", "update"}, {"resource", "secrets"}, {"code", "200"}}) >= 1);
    BOOST_TEST(wait_until(
        [&] {
            return lead.endpoints.scrape().total("gen_istio_cert_kube_requests_total",
                                                 Labels{{"verb", "create"}, {"resource", "events"}, {"code", "201"}}) >= 2;
        },
        20s));
    BOOST_TEST(followed.total("gen_istio_cert_kube_requests_total", Labels{{"verb", "watch"}, {"resource", "leases"}}) >= 1);
    BOOST_TEST(followed.total("gen_istio_cert_kube_requests_total", Labels{{"verb", "get"}, {"resource", "secrets"}}) >= 1);
    BOOST_TEST(followed.total("gen_istio_cert_kube_requests_total", Labels{{"resource", "events"}}) == 0.0);

    // build_info carries the version --version prints.
    auto const version = run_process({agent_binary(), "--version"});
    BOOST_TEST_REQUIRE(version.exit_code == 0, version.err);
    auto const printed = lines_of(version.out).at(0).substr(std::string("gen-istio-cert ").size());
    BOOST_TEST(led.value("gen_istio_cert_build_info", {{"version", printed}}).value_or(-1) == 1.0, "no build_info for " << printed);

    // certificate_not_after_seconds is the Secret's leaf NotAfter (compared between two scrapes
    // that agree, since a renewal may happen meanwhile).
    double gauge = -1, stored = -2;
    BOOST_TEST(wait_until(
                   [&] {
                       auto const before = lead.endpoints.scrape().value("gen_istio_cert_certificate_not_after_seconds",
                                                                         {{"secret", certs_secret_label}});
                       auto const leaf = stored_leaf(sb);
                       auto const after = lead.endpoints.scrape().value("gen_istio_cert_certificate_not_after_seconds",
                                                                        {{"secret", certs_secret_label}});
                       if (!before || !after || !leaf || *before != *after) return false;
                       gauge = *after;
                       stored = unix_seconds(leaf->not_after());
                       return gauge == stored;
                   },
                   30s),
               "certificate_not_after_seconds " << std::fixed << gauge << ", the Secret's NotAfter " << stored);
    auto const last_renewal = led.value("gen_istio_cert_last_successful_renewal_seconds", {{"secret", certs_secret_label}});
    BOOST_TEST_REQUIRE(last_renewal.has_value());
    BOOST_TEST(*last_renewal > 0.0);
    BOOST_TEST(*last_renewal <= unix_seconds(std::chrono::system_clock::now()));
    BOOST_TEST(*last_renewal < led.value("gen_istio_cert_certificate_not_after_seconds", {{"secret", certs_secret_label}}).value_or(0));

    // Both are alive and ready: the leader from what it wrote, the follower from reading the Secret.
    BOOST_TEST(lead.endpoints.healthz() == 200);
    BOOST_TEST(lead.endpoints.readyz() == 200);
    BOOST_TEST(follower.endpoints.healthz() == 200);
    BOOST_TEST(wait_until([&] { return follower.endpoints.readyz() == 200; }, 30s), "the follower never became ready");

    // Failover: the leader releases the Lease on SIGTERM and the other replica takes over.
    auto const transitions_before = followed.value("gen_istio_cert_leader_transitions_total").value_or(-1);
    stop_agent(*lead.process);
    BOOST_TEST(wait_until(
                   [&] {
                       auto const now = follower.endpoints.scrape();
                       return now.value("gen_istio_cert_leader") == 1.0 &&
                              now.value("gen_istio_cert_leader_transitions_total").value_or(-1) > transitions_before;
                   },
                   30s),
               logs());
    checked_scrape(follower);
    BOOST_TEST(follower.endpoints.healthz() == 200);
    BOOST_TEST(follower.endpoints.readyz() == 200);
    stop_agent(*follower.process);
}

BOOST_AUTO_TEST_CASE(readyz_waits_for_a_certificate_and_reloads_are_counted) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.has_kubectl());
    // istiod refuses everything from the start: nothing can be issued.
    sb.istiod_fault(R"({"code":"UNAVAILABLE","message":"istiod is down","count":100000})");
    // The token in the layout kubelet's AtomicWriter gives a projected volume.
    TempDir mount;
    auto const dir = mount.path();
    fs::create_directory(dir + "/..2026_11_29_1");
    write_file(dir + "/..2026_11_29_1/istio-token", read_file(sb.sa_dir() + "/istio-token"));
    fs::create_directory_symlink("..2026_11_29_1", dir + "/..data");
    fs::create_symlink("..data/istio-token", dir + "/istio-token");

    auto agent = start_observed(sb, "gateway-0", {"--leader-elect=false", "--cert-ttl", "1h", "--istio-token-path",
                                                  dir + "/istio-token"});
    BOOST_TEST_REQUIRE(wait_until(
                           [&] {
                               return agent.endpoints.scrape().value("gen_istio_cert_renewals_total",
                                                                     {{"result", "ca_unavailable"}})
                                          .value_or(0) >= 2;
                           },
                           30s),
                       agent.process->log());
    auto const failing = checked_scrape(agent);
    auto const not_ready = ops::get(agent.endpoints.health, "/readyz");
    BOOST_TEST(not_ready.status == 503);
    BOOST_TEST(not_ready.body.find("no valid certificate is stored yet") != std::string::npos, not_ready.body);
    BOOST_TEST(agent.endpoints.healthz() == 200);
    BOOST_TEST(failing.value("gen_istio_cert_leader").value_or(-1) == 1.0, "the only writer does not report leader 1");
    BOOST_TEST(failing.value("gen_istio_cert_ca_requests_total", {{"code", "UNAVAILABLE"}}).value_or(0) >= 2);
    BOOST_TEST(failing.value("gen_istio_cert_certificate_not_after_seconds", {{"secret", certs_secret_label}}).value_or(0) == 0.0);
    BOOST_TEST(failing.total("gen_istio_cert_renewals_total", {{"result", "success"}}) == 0.0);
    BOOST_TEST(sb.get_json("secret", "istio-certs", Sandbox::sa_namespace).empty());

    sb.clear_istiod_faults();
    BOOST_TEST_REQUIRE(wait_until([&] { return agent.endpoints.readyz() == 200; }, 90s), agent.process->log());
    auto const ready = checked_scrape(agent);
    BOOST_TEST(ready.value("gen_istio_cert_renewals_total", {{"secret", certs_secret_label}, {"result", "success"}}).value_or(-1) == 1.0);
    auto const leaf = stored_leaf(sb);
    BOOST_TEST_REQUIRE(leaf.has_value());
    BOOST_TEST(ready.value("gen_istio_cert_certificate_not_after_seconds", {{"secret", certs_secret_label}}).value_or(-1) ==
               unix_seconds(leaf->not_after()));

    // Events on the Secret: one Warning for the whole run of failures, then the issuance.
    BOOST_TEST(wait_until(
                   [&] {
                       return !events_from(sb.kubectl({"get", "events", "-n", Sandbox::sa_namespace, "-o", "json"}), "Secret",
                                           "CertificateIssued", "istio-certs")
                                   .empty();
                   },
                   20s),
               "no CertificateIssued Event\n" << agent.process->log());
    auto const listed = sb.kubectl({"get", "events", "-n", Sandbox::sa_namespace, "-o", "json"});
    auto const failed = events_from(listed, "Secret", "CertificateIssueFailed", "istio-certs");
    BOOST_TEST(failed.size() == 1u, failed.size() << " CertificateIssueFailed Events for one run of failures");
    for (auto const& e : failed) BOOST_TEST(e.at("type").as_string() == "Warning");
    for (auto const& e : events_from(listed, "Secret", "CertificateIssued", "istio-certs"))
        BOOST_TEST(e.at("type").as_string() == "Normal");

    // The kubelet rotates the token: ..data is swapped to a new directory.
    auto const tokens_before = ready.value("gen_istio_cert_token_reloads_total").value_or(-1);
    auto minted = sb.kubectl({"create", "token", Sandbox::sa_name, "-n", Sandbox::sa_namespace, "--audience", "istio-ca",
                              "--duration", "20m"});
    BOOST_TEST_REQUIRE(minted.exit_code == 0, minted.err);
    fs::create_directory(dir + "/..2026_11_29_2");
    write_file(dir + "/..2026_11_29_2/istio-token", minted.out);
    fs::create_directory_symlink("..2026_11_29_2", dir + "/..data_tmp");
    fs::rename(dir + "/..data_tmp", dir + "/..data");
    fs::remove_all(dir + "/..2026_11_29_1");
    BOOST_TEST(wait_until([&] { return agent.endpoints.scrape().value("gen_istio_cert_token_reloads_total").value_or(-1) > tokens_before; },
                          15s),
               agent.process->log());

    // istiod adds a root: the root file changes and the bundle is reloaded.
    auto const roots_before = checked_scrape(agent).value("gen_istio_cert_root_reloads_total").value_or(-1);
    sb.istiod_admin_post("/rotate-root", R"({"step":"add"})");
    BOOST_TEST(wait_until([&] { return agent.endpoints.scrape().value("gen_istio_cert_root_reloads_total").value_or(-1) > roots_before; },
                          15s),
               agent.process->log());
    BOOST_TEST(agent.endpoints.readyz() == 200);
    checked_scrape(agent);
    stop_agent(*agent.process);
}

BOOST_AUTO_TEST_CASE(shipped_role_is_enough_for_a_continuous_cycle_and_grants_nothing_unused) {
    RbacCluster cluster;
    auto applied = cluster.kubectl({"create", "-f", "-"}, role_without("", ""));
    BOOST_TEST_REQUIRE(applied.exit_code == 0, applied.out << applied.err);

    // Two replicas as the service account; 4 s certificates are renewed after about 2 s.
    std::vector<std::unique_ptr<ChildProcess>> agents;
    for (int i = 0; i < 2; ++i) agents.push_back(cluster.start_agent("rbac-" + std::to_string(i), {"--cert-ttl", "4s"}));
    auto const logs = [&] {
        std::string out;
        for (std::size_t i = 0; i < agents.size(); ++i) out += "---- rbac-" + std::to_string(i) + "\n" + agents[i]->log();
        return out;
    };
    auto const leading = [&](std::size_t i) {
        for (auto const& r : log_records(agents[i]->log()))
            if (field(r, "msg").ends_with(" became leader")) return true;
        return false;
    };
    // Issued, then renewed.
    BOOST_TEST_REQUIRE(wait_until([&] { return count_records(agents[0]->log(), "certificate written") +
                                                   count_records(agents[1]->log(), "certificate written") >= 2; },
                                  60s),
                       logs());
    std::size_t const leader = leading(0) ? 0 : 1;
    BOOST_TEST_REQUIRE(leading(leader), logs());

    // The Lease was created and renewed by the service account.
    auto const lease_writes = [&](std::string const& verb) {
        std::size_t n = 0;
        for (auto const& v : cluster.admin_items("/emulator/v1/audit")) {
            auto const& e = v.as_object();
            if (e.at("resource").as_string() == "leases" && e.at("verb").as_string() == verb &&
                e.at("user").as_string() == service_account_user)
                ++n;
        }
        return n;
    };
    BOOST_TEST(wait_until([&] { return lease_writes("create") == 1 && lease_writes("update") >= 2; }, 20s), logs());
    // Events on the Lease and on the Secret.
    BOOST_TEST(wait_until(
                   [&] {
                       auto const listed = cluster.events();
                       return !events_from(listed, "Lease", "LeaderElection").empty() &&
                              !events_from(listed, "Secret", "CertificateIssued", "istio-certs").empty();
                   },
                   20s),
               logs());

    // Failover: the leader releases the Lease, the other replica takes over.
    stop_agent(*agents[leader]);
    BOOST_TEST(wait_until([&] { return leading(1 - leader); }, 30s), logs());
    stop_agent(*agents[1 - leader]);

    // Nothing was refused along the way.
    for (auto const& agent : agents) {
        BOOST_TEST(agent->log().find("forbidden") == std::string::npos, agent->log());
        BOOST_TEST(agent->log().find("not recorded") == std::string::npos, agent->log());
    }
    // What the service account did is exactly what the Role grants: no rule is unused, no call
    // needs more.
    std::set<std::string> used;
    for (auto const& v : cluster.admin_items("/emulator/v1/requests")) {
        auto const& r = v.as_object();
        if (r.at("user").as_string() != service_account_user) continue;
        BOOST_TEST(r.at("code").as_int64() != 403, boost::json::serialize(r));
        auto resource = std::string(r.at("resource").as_string());
        if (auto const* sub = r.if_contains("subresource")) resource += "/" + std::string(sub->as_string());
        used.insert(group_of(std::string(r.at("path").as_string())) + "/" + resource + ":" + std::string(r.at("verb").as_string()));
    }
    auto const granted = granted_by_shipped_role();
    std::set<std::string> unused, ungranted;
    std::set_difference(granted.begin(), granted.end(), used.begin(), used.end(), std::inserter(unused, unused.end()));
    std::set_difference(used.begin(), used.end(), granted.begin(), granted.end(), std::inserter(ungranted, ungranted.end()));
    BOOST_TEST(unused.empty(), "granted but never used in a full cycle: " << joined(unused));
    BOOST_TEST(ungranted.empty(), "used but not granted: " << joined(ungranted));
}

BOOST_AUTO_TEST_CASE(each_lease_and_event_rule_of_the_role_is_needed) {
    RbacCluster cluster;
    auto applied = cluster.kubectl({"create", "-f", "-"}, role_without("", ""));
    BOOST_TEST_REQUIRE(applied.exit_code == 0, applied.out << applied.err);
    auto const now = util::format_rfc3339_micro(std::chrono::system_clock::now());
    auto const lease_yaml = [&](std::string const& name, std::string const& spec) {
        return "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: " + name + "\n  namespace: " +
               Sandbox::sa_namespace + "\nspec:\n" + spec;
    };
    // A Lease held (for an hour) by a replica that is not running: the agent can only follow it.
    auto held = cluster.kubectl({"create", "-f", "-"},
                                lease_yaml("held-elsewhere", "  holderIdentity: gateway-9_elsewhere\n  leaseDurationSeconds: 3600\n"
                                                             "  acquireTime: \"" + now + "\"\n  renewTime: \"" + now +
                                                             "\"\n  leaseTransitions: 0\n"));
    BOOST_TEST_REQUIRE(held.exit_code == 0, held.out << held.err);
    // A released Lease (no holder): taking it is an update.
    auto released = cluster.kubectl({"create", "-f", "-"}, lease_yaml("released", "  leaseDurationSeconds: 1\n  leaseTransitions: 3\n"));
    BOOST_TEST_REQUIRE(released.exit_code == 0, released.out << released.err);

    struct Case {
        std::string resource, verb, lease, secret;
        std::string msg;  // the log record that names the refused permission
        bool writes;      // the agent still writes the Secret without the rule
    };
    std::vector<Case> const cases{
        {"leases", "get", "fresh-get", "s-get", "cannot acquire the Lease; retrying", false},
        {"leases", "create", "fresh-create", "s-create", "cannot acquire the Lease; retrying", false},
        {"leases", "update", "released", "s-update", "cannot acquire the Lease; retrying", false},
        {"leases", "list", "held-elsewhere", "s-list", "cannot list the object; retrying", false},
        {"leases", "watch", "held-elsewhere", "s-watch", "cannot watch the object; relisting", false},
        {"events", "create", "fresh-events", "s-events", "event not recorded", true},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT("without " << c.verb << " on " << c.resource) {
            auto replaced = cluster.kubectl({"replace", "-f", "-"}, role_without(c.resource, c.verb));
            BOOST_TEST_REQUIRE(replaced.exit_code == 0, replaced.out << replaced.err);
            auto agent = cluster.start_agent(c.verb + "-" + c.resource,
                                             {"--leader-election-id", c.lease, "--output-secret", c.secret, "--cert-ttl", "1h"});
            auto const needle = "RBAC must allow verb \"" + c.verb + "\" on \"" + c.resource + "\"";
            BOOST_TEST(wait_until([&] { return has_record_naming(agent->log(), c.msg, needle); }, 30s),
                       "no \"" << c.msg << "\" naming " << needle << "\n" << agent->log());
            if (c.writes) {
                // Events never hold the work up: the certificate is written all the same, and no
                // Event about this Secret or Lease exists.
                BOOST_TEST(wait_until([&] { return count_records(agent->log(), "certificate written") == 1; }, 30s), agent->log());
                BOOST_TEST(cluster.has_secret(c.secret));
                auto const listed = cluster.events();
                BOOST_TEST(events_from(listed, "Secret", "CertificateIssued", c.secret).empty());
                BOOST_TEST(events_from(listed, "Lease", "LeaderElection", c.lease).empty());
            } else {
                // Without the Lease no Rotator runs: nothing issued, nothing written.
                BOOST_TEST(count_records(agent->log(), "certificate written") == 0u, agent->log());
                BOOST_TEST(!cluster.has_secret(c.secret));
            }
            BOOST_TEST(agent->running(), agent->log());
            stop_agent(*agent);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
