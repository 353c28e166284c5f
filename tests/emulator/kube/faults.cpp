#include "faults.hpp"

#include "json_util.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace gic::emu::kube {

namespace json = boost::json;

bool Fault::matches(RequestInfo const& info) const {
    if (verb && *verb != info.verb) return false;
    if ((stall_watch || drop_after_events > 0) && info.verb != "watch") return false;
    if (resource) {
        std::string full = info.subresource.empty() ? info.resource : info.resource + "/" + info.subresource;
        if (*resource != info.resource && *resource != full) return false;
    }
    if (namespace_ && *namespace_ != info.namespace_) return false;
    if (name && *name != info.name) return false;
    return true;
}

json::object Fault::to_json() const {
    json::object o{{"id", id}, {"status", static_cast<std::int64_t>(status)}, {"count", count}, {"delayMs", delay_ms}, {"drop", drop}};
    if (stall_watch) o["stallWatch"] = true;
    if (drop_after_events) o["dropAfterEvents"] = drop_after_events;
    if (verb) o["verb"] = *verb;
    if (resource) o["resource"] = *resource;
    if (namespace_) o["namespace"] = *namespace_;
    if (name) o["name"] = *name;
    if (!reason.empty()) o["reason"] = reason;
    if (!message.empty()) o["message"] = message;
    if (retry_after_seconds) o["retryAfterSeconds"] = retry_after_seconds;
    return o;
}

Result<Fault> Fault::from_json(json::value const& value) {
    if (!value.is_object()) return make_error("fault: the body must be a JSON object");
    auto const& o = value.as_object();
    Fault f;
    static constexpr std::string_view known[] = {"verb", "resource", "namespace", "name", "status",
                                                 "reason", "message", "retryAfterSeconds", "count", "delayMs", "drop",
                                                 "stallWatch", "dropAfterEvents"};
    for (auto const& [k, v] : o) {
        bool ok = false;
        for (auto n : known) ok = ok || k == n;
        if (!ok) return make_error("fault: unknown field " + std::string(k));
    }
    auto opt_string = [&](char const* key, std::optional<std::string>& out) -> std::optional<Error> {
        if (auto const* v = o.if_contains(key)) {
            if (!v->is_string()) return make_error(std::string("fault: ") + key + " must be a string");
            out = std::string(v->as_string());
        }
        return std::nullopt;
    };
    auto opt_int = [&](char const* key, int& out) -> std::optional<Error> {
        if (auto const* v = o.if_contains(key)) {
            if (!v->is_int64() && !v->is_uint64()) return make_error(std::string("fault: ") + key + " must be an integer");
            out = static_cast<int>(v->to_number<std::int64_t>());
        }
        return std::nullopt;
    };
    for (auto [key, out] : {std::pair{"verb", &f.verb}, std::pair{"resource", &f.resource},
                            std::pair{"namespace", &f.namespace_}, std::pair{"name", &f.name}})
        if (auto e = opt_string(key, *out)) return *e;
    int status = 0;
    if (auto e = opt_int("status", status)) return *e;
    if (status != 0 && (status < 400 || status > 599)) return make_error("fault: status must be a 4xx or 5xx code");
    f.status = static_cast<unsigned>(status);
    std::optional<std::string> reason, message;
    if (auto e = opt_string("reason", reason)) return *e;
    if (auto e = opt_string("message", message)) return *e;
    f.reason = reason.value_or("");
    f.message = message.value_or("");
    if (auto e = opt_int("retryAfterSeconds", f.retry_after_seconds)) return *e;
    if (auto e = opt_int("count", f.count)) return *e;
    if (auto e = opt_int("delayMs", f.delay_ms)) return *e;
    if (auto const* v = o.if_contains("drop")) {
        if (!v->is_bool()) return make_error("fault: drop must be a boolean");
        f.drop = v->as_bool();
    }
    if (auto const* v = o.if_contains("stallWatch")) {
        if (!v->is_bool()) return make_error("fault: stallWatch must be a boolean");
        f.stall_watch = v->as_bool();
    }
    if (auto e = opt_int("dropAfterEvents", f.drop_after_events)) return *e;
    if (f.drop_after_events < 0) return make_error("fault: dropAfterEvents must not be negative");
    if (f.count == 0 || f.count < -1) return make_error("fault: count must be positive, or -1 for always");
    if (f.delay_ms < 0) return make_error("fault: delayMs must not be negative");
    if (f.status == 0 && !f.drop && f.delay_ms == 0 && !f.stall_watch && f.drop_after_events == 0)
        return make_error("fault: set status, drop, delayMs, stallWatch or dropAfterEvents");
    return f;
}

ApiError Fault::to_error() const {
    auto reason_text = reason.empty() ? default_reason(status) : reason;
    auto text = message.empty() ? "injected fault: " + std::to_string(status) + " " + reason_text : message;
    ApiError e = status_from_code(status, reason_text, text);
    if (retry_after_seconds > 0) e.retry_after_seconds = retry_after_seconds;
    return e;
}

int FaultInjector::add(Fault fault) {
    fault.id = next_id_++;
    faults_.push_back(std::move(fault));
    return faults_.back().id;
}

std::optional<Fault> FaultInjector::take(RequestInfo const& info) {
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (!it->matches(info)) continue;
        Fault fired = *it;
        if (it->count > 0 && --it->count == 0) faults_.erase(it);
        return fired;
    }
    return std::nullopt;
}

json::array FaultInjector::to_json() const {
    json::array a;
    for (auto const& f : faults_) a.push_back(f.to_json());
    return a;
}

void RequestLog::add(RequestRecord record) {
    constexpr std::size_t max_records = 20000;
    if (records_.size() >= max_records) records_.pop_front();
    records_.push_back(std::move(record));
}

json::array RequestLog::to_json() const {
    json::array a;
    for (auto const& r : records_) {
        json::object o{{"time", r.time},     {"method", r.method}, {"verb", r.verb}, {"path", r.path},
                       {"query", r.query},   {"user", r.user},     {"code", static_cast<std::int64_t>(r.code)}, {"resource", r.resource},
                       {"namespace", r.namespace_}, {"name", r.name}};
        if (!r.subresource.empty()) o["subresource"] = r.subresource;
        if (!r.fault.empty()) o["fault"] = r.fault;
        if (!r.content_type.empty()) o["contentType"] = r.content_type;
        a.push_back(std::move(o));
    }
    return a;
}

}  // namespace gic::emu::kube
