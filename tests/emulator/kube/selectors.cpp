#include "selectors.hpp"

#include "json_util.hpp"

#include <set>
#include <vector>

namespace gic::emu::kube {

namespace json = boost::json;

namespace {

std::string trim(std::string s) {
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> split_terms(std::string const& s) {
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    for (char c : s) {
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if (c == ',' && depth == 0) {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!trim(cur).empty() || !out.empty()) out.push_back(trim(cur));
    return out;
}

std::optional<std::string> label_of(json::object const& obj, std::string const& key) {
    auto const* meta = object_field(obj, "metadata");
    auto const* labels = meta ? object_field(*meta, "labels") : nullptr;
    if (!labels) return std::nullopt;
    auto it = labels->find(key);
    if (it == labels->end() || !it->value().is_string()) return std::nullopt;
    return std::string(it->value().as_string());
}

}  // namespace

Result<ObjectPredicate> parse_field_selector(std::string const& selector, std::string const& plural) {
    std::vector<ObjectPredicate> preds;
    for (auto const& term : split_terms(selector)) {
        if (term.empty()) continue;
        bool negate = false;
        std::size_t op = term.find("!=");
        std::size_t len = 2;
        if (op != std::string::npos) {
            negate = true;
        } else if ((op = term.find("==")) != std::string::npos) {
        } else if ((op = term.find('=')) != std::string::npos) {
            len = 1;
        } else {
            return make_error("invalid selector: '" + selector + "'; can't understand '" + term + "'");
        }
        std::string field = trim(term.substr(0, op));
        std::string value = trim(term.substr(op + len));
        std::function<std::string(json::object const&)> getter;
        if (field == "metadata.name")
            getter = [](json::object const& o) { return metadata_string(o, "name"); };
        else if (field == "metadata.namespace")
            getter = [](json::object const& o) { return metadata_string(o, "namespace"); };
        else if (field == "type" && plural == "secrets")
            getter = [](json::object const& o) { return string_field(o, "type"); };
        else
            return make_error("field label not supported: " + field);
        preds.push_back([getter, value, negate](json::object const& o) { return (getter(o) == value) != negate; });
    }
    return ObjectPredicate([preds](json::object const& o) {
        for (auto const& p : preds)
            if (!p(o)) return false;
        return true;
    });
}

Result<ObjectPredicate> parse_label_selector(std::string const& selector) {
    std::vector<ObjectPredicate> preds;
    for (auto const& term : split_terms(selector)) {
        if (term.empty()) continue;
        auto paren = term.find('(');
        if (paren != std::string::npos) {
            if (term.back() != ')') return make_error("unable to parse requirement: " + term);
            auto head = trim(term.substr(0, paren));
            auto sp = head.rfind(' ');
            if (sp == std::string::npos) return make_error("unable to parse requirement: " + term);
            auto key = trim(head.substr(0, sp));
            auto op = trim(head.substr(sp + 1));
            std::set<std::string> values;
            for (auto const& v : split_terms(term.substr(paren + 1, term.size() - paren - 2))) values.insert(v);
            if (op != "in" && op != "notin") return make_error("unable to parse requirement: " + term);
            bool in = op == "in";
            preds.push_back([key, values, in](json::object const& o) {
                auto v = label_of(o, key);
                bool member = v && values.count(*v);
                return in ? member : !member;
            });
            continue;
        }
        std::size_t op;
        if ((op = term.find("!=")) != std::string::npos) {
            auto key = trim(term.substr(0, op)), value = trim(term.substr(op + 2));
            preds.push_back([key, value](json::object const& o) { return label_of(o, key) != value; });
        } else if ((op = term.find('=')) != std::string::npos) {
            auto key = trim(term.substr(0, op));
            auto value = trim(term.substr(term[op + 1] == '=' ? op + 2 : op + 1));
            preds.push_back([key, value](json::object const& o) { return label_of(o, key) == value; });
        } else if (term[0] == '!') {
            auto key = trim(term.substr(1));
            preds.push_back([key](json::object const& o) { return !label_of(o, key); });
        } else {
            auto key = term;
            preds.push_back([key](json::object const& o) { return label_of(o, key).has_value(); });
        }
    }
    return ObjectPredicate([preds](json::object const& o) {
        for (auto const& p : preds)
            if (!p(o)) return false;
        return true;
    });
}

Result<ObjectPredicate> parse_list_selectors(RequestInfo const& info, std::string const& plural) {
    ObjectPredicate field_ok = [](json::object const&) { return true; };
    ObjectPredicate label_ok = field_ok;
    if (info.has_query("fieldSelector")) {
        auto p = parse_field_selector(info.query_param("fieldSelector"), plural);
        if (!p) return p.error();
        field_ok = *p;
    }
    if (info.has_query("labelSelector")) {
        auto p = parse_label_selector(info.query_param("labelSelector"));
        if (!p) return p.error();
        label_ok = *p;
    }
    return ObjectPredicate([field_ok, label_ok](json::object const& o) { return field_ok(o) && label_ok(o); });
}

}  // namespace gic::emu::kube
