#pragma once
// Reading a running agent from the outside, as Prometheus and the kubelet do: the addresses it
// logged for its listeners, /metrics parsed strictly as the Prometheus text exposition format
// (every line must parse, every family must have HELP and TYPE), and the probes' status codes.
// Used by the operations integration tests only.

#include "common/http_client.hpp"
#include "common/process.hpp"
#include "common/wait.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gic::test::ops {

using gic::test::wait_until;

using Labels = std::map<std::string, std::string>;

struct Sample {
    std::string name;
    Labels labels;
    double value = 0;
};

// One scrape, parsed. `errors` holds one line per violation of the format (empty: well-formed).
struct Exposition {
    std::vector<Sample> samples;
    std::map<std::string, std::string> types;  // family -> counter | gauge | histogram | ...
    std::map<std::string, std::string> helps;
    std::vector<std::string> errors;

    // Samples named `name` whose labels include all of `subset`.
    std::vector<Sample> find(std::string const& name, Labels const& subset = {}) const {
        std::vector<Sample> out;
        for (auto const& s : samples) {
            if (s.name != name) continue;
            bool match = true;
            for (auto const& [k, v] : subset) {
                auto it = s.labels.find(k);
                if (it == s.labels.end() || it->second != v) match = false;
            }
            if (match) out.push_back(s);
        }
        return out;
    }
    // The one sample named `name` with labels including `subset`; nullopt when there is none
    // (several: a programming error of the caller).
    std::optional<double> value(std::string const& name, Labels const& subset = {}) const {
        auto const found = find(name, subset);
        if (found.empty()) return std::nullopt;
        if (found.size() > 1) throw std::logic_error("several samples of " + name + " match");
        return found.front().value;
    }
    // The sum over the samples named `name` with labels including `subset` (0 when none).
    double total(std::string const& name, Labels const& subset = {}) const {
        double sum = 0;
        for (auto const& s : find(name, subset)) sum += s.value;
        return sum;
    }
};

namespace detail {

inline bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
inline bool name_char(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

inline bool parse_value(std::string const& text, double& out) {
    if (text == "+Inf" || text == "-Inf" || text == "NaN") {
        out = text == "NaN" ? NAN : text == "+Inf" ? HUGE_VAL : -HUGE_VAL;
        return true;
    }
    if (text.empty()) return false;
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

// `name{label="value",...} value [timestamp]`; false with `why` when the line does not parse.
inline bool parse_sample(std::string const& line, Sample& out, std::string& why) {
    std::size_t i = 0;
    if (line.empty() || !name_start(line[0])) return why = "no metric name", false;
    while (i < line.size() && name_char(line[i])) ++i;
    out.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
            auto const start = i;
            if (!name_start(line[i]) || line[i] == ':') return why = "bad label name", false;
            while (i < line.size() && name_char(line[i]) && line[i] != ':') ++i;
            auto const label = line.substr(start, i - start);
            if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return why = "label " + label + " without =\"", false;
            i += 2;
            std::string value;
            for (;; ++i) {
                if (i >= line.size()) return why = "unterminated value of label " + label, false;
                if (line[i] == '"') break;
                if (line[i] == '\\') {
                    if (++i >= line.size()) return why = "dangling escape", false;
                    if (line[i] == 'n') value += '\n';
                    else if (line[i] == '\\' || line[i] == '"') value += line[i];
                    else return why = "bad escape in label " + label, false;
                } else {
                    value += line[i];
                }
            }
            ++i;  // closing quote
            if (!out.labels.emplace(label, value).second) return why = "duplicate label " + label, false;
            if (i < line.size() && line[i] == ',') ++i;
            else if (i < line.size() && line[i] != '}') return why = "labels not separated by commas", false;
        }
        if (i >= line.size()) return why = "unterminated label set", false;
        ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') return why = "no space before the value", false;
    std::istringstream rest(line.substr(i + 1));
    std::string value, timestamp, extra;
    rest >> value >> timestamp >> extra;
    if (!parse_value(value, out.value)) return why = "value \"" + value + "\" is not a number", false;
    if (!timestamp.empty()) {
        char* end = nullptr;
        (void)std::strtoll(timestamp.c_str(), &end, 10);
        if (end != timestamp.c_str() + timestamp.size()) return why = "bad timestamp", false;
    }
    if (!extra.empty()) return why = "trailing text", false;
    return true;
}

}  // namespace detail

inline Exposition parse_exposition(std::string const& text) {
    Exposition out;
    std::istringstream in(text);
    std::map<std::string, bool> family_has_samples;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        if (line[0] == '#') {
            std::istringstream words(line);
            std::string hash, keyword, name;
            words >> hash >> keyword >> name;
            if (keyword != "HELP" && keyword != "TYPE") continue;  // a plain comment
            std::string rest;
            std::getline(words, rest);
            if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
            if (name.empty() || !detail::name_start(name[0])) {
                out.errors.push_back("no metric name in: " + line);
                continue;
            }
            if (family_has_samples[name]) out.errors.push_back(keyword + " after samples of " + name);
            auto& slot = keyword == "HELP" ? out.helps : out.types;
            if (slot.count(name)) out.errors.push_back("second " + keyword + " for " + name);
            if (keyword == "TYPE" && rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" &&
                rest != "untyped")
                out.errors.push_back("unknown TYPE \"" + rest + "\" for " + name);
            if (keyword == "HELP" && rest.empty()) out.errors.push_back("empty HELP for " + name);
            slot[name] = rest;
            continue;
        }
        Sample sample;
        std::string why;
        if (!detail::parse_sample(line, sample, why)) {
            out.errors.push_back(why + ": " + line);
            continue;
        }
        // The family: the name itself, or a histogram's name for its _bucket/_sum/_count series.
        std::string family = sample.name;
        for (std::string const suffix : {"_bucket", "_sum", "_count"}) {
            if (out.types.count(family)) break;
            if (sample.name.size() > suffix.size() && sample.name.ends_with(suffix)) {
                auto base = sample.name.substr(0, sample.name.size() - suffix.size());
                if (out.types.count(base) && out.types[base] == "histogram") family = base;
            }
        }
        if (!out.types.count(family)) out.errors.push_back("no TYPE before " + line);
        if (!out.helps.count(family)) out.errors.push_back("no HELP before " + line);
        if (out.types.count(family) && out.types[family] == "histogram" && sample.name == family + "_bucket" &&
            !sample.labels.count("le"))
            out.errors.push_back("bucket without le: " + line);
        if (out.types.count(family) && out.types[family] == "counter" && sample.value < 0)
            out.errors.push_back("negative counter: " + line);
        family_has_samples[family] = true;
        out.samples.push_back(std::move(sample));
    }
    return out;
}

// The address a listener was bound to, from the agent's log line
// `... observe: serving metrics address=127.0.0.1:PORT ...` (`what`: "serving metrics" or
// "serving health probes"); empty when not logged within `timeout`.
inline std::string logged_address(ChildProcess& agent, std::string const& what, std::chrono::milliseconds timeout) {
    std::string address;
    wait_until(
        [&] {
            auto const log = agent.log();
            auto const at = log.find("observe: " + what + " address=");
            if (at == std::string::npos) return false;
            auto const start = log.find('=', at) + 1;
            address = log.substr(start, log.find_first_of(" \n", start) - start);
            return true;
        },
        timeout);
    return address;
}

// A plain GET on loopback; status 0 when nothing answers (the agent has exited).
inline HttpReply get(std::string const& address, std::string const& path) {
    try {
        return http_request("GET", "http://" + address + path);
    } catch (std::exception const& e) {
        return HttpReply{0, e.what()};
    }
}

// The listeners of one agent.
struct Endpoints {
    std::string metrics;
    std::string health;

    static Endpoints of(ChildProcess& agent) {
        Endpoints e{logged_address(agent, "serving metrics", std::chrono::seconds(30)),
                    logged_address(agent, "serving health probes", std::chrono::seconds(30))};
        if (e.metrics.empty() || e.health.empty())
            throw std::runtime_error("the agent did not log its listeners:\n" + agent.log());
        return e;
    }
    // /metrics parsed; a failed scrape comes back as an error of the exposition.
    Exposition scrape() const {
        auto const reply = get(metrics, "/metrics");
        if (reply.status != 200) {
            Exposition failed;
            failed.errors.push_back("GET /metrics answered " + std::to_string(reply.status) + ": " + reply.body);
            return failed;
        }
        return parse_exposition(reply.body);
    }
    int healthz() const { return get(health, "/healthz").status; }
    int readyz() const { return get(health, "/readyz").status; }
};

inline std::string joined(std::vector<std::string> const& lines) {
    std::string out;
    for (auto const& l : lines) out += l + "\n";
    return out;
}

}  // namespace gic::test::ops
