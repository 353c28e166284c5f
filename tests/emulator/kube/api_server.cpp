#include "api_server.hpp"

#include "impersonation.hpp"
#include "json_util.hpp"
#include "router.hpp"
#include "watch_handler.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace gic::emu::kube {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view admin_prefix = "/emulator/";

// Passes chunks through until `limit` were written, then reports the client gone so that the
// stream is cut without its last chunk (fault injection).
class CuttingWriter final : public ChunkWriter {
public:
    CuttingWriter(ChunkWriter& inner, int limit) : inner_(inner), limit_(limit) {}
    asio::awaitable<bool> write(std::string data) override {
        if (written_ >= limit_) co_return false;
        ++written_;
        co_return co_await inner_.write(std::move(data));
    }
    bool client_gone() const override { return written_ >= limit_ || inner_.client_gone(); }
    void on_client_gone(std::function<void()> callback) override { inner_.on_client_gone(std::move(callback)); }

private:
    ChunkWriter& inner_;
    int limit_;
    int written_ = 0;
};

void apply_stream_faults(Fault const& fault, Reply& reply) {
    if (!reply.stream) return;
    if (fault.stall_watch) {
        reply.stream = stalled_stream();
    } else if (fault.drop_after_events > 0) {
        reply.stream = [body = std::move(reply.stream), limit = fault.drop_after_events](
                           ChunkWriter& out) -> asio::awaitable<StreamEnd> {
            CuttingWriter cutting(out, limit);
            co_await body(cutting);
            co_return StreamEnd::abort;
        };
    }
}

std::string now_with_millis() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    auto base = format_rfc3339(now);
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(ms));
    return base.substr(0, base.size() - 1) + buf + "Z";
}

}  // namespace

void ApiServer::record(RequestInfo const& info, HttpRequest const& request, std::string const& user, unsigned code,
                       std::string const& fault) {
    std::string target(request.target());
    auto q = target.find('?');
    std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    // One line per request; never the Authorization header or the body.
    std::cerr << request.method_string() << " " << info.path << (query.empty() ? "" : "?" + query)
              << " user=" << (user.empty() ? "-" : user) << " code=" << (code ? std::to_string(code) : "dropped")
              << (fault.empty() ? "" : " fault=" + fault) << std::endl;
    if (info.path.rfind(admin_prefix, 0) == 0) return;
    log_.add(RequestRecord{now_with_millis(), std::string(request.method_string()), info.verb, info.path, query, user,
                           info.resource, info.subresource, info.namespace_, info.name, code, fault,
                           std::string(request[http::field::content_type])});
}

asio::awaitable<Reply> ApiServer::handle(HttpRequest const& request, PeerCertificate const& peer) {
    auto info = parse_request_info(request.method(), request.target());
    auto authn = ctx_.authenticator.authenticate(peer, request[http::field::authorization]);
    if (authn.outcome == AuthnResult::Outcome::rejected) {
        Reply r = error_reply(unauthorized());
        record(info, request, "", 401, "");
        co_return r;
    }
    // Impersonation runs after authentication and before everything else, as upstream's filter chain.
    UserInfo user = authn.user;
    if (auto impersonated = impersonate(authn.user, request, ctx_.authorizer)) {
        if (auto const* error = std::get_if<ApiError>(&*impersonated)) {
            Reply r = error_reply(*error);
            record(info, request, authn.user.name, r.response.result_int(), "");
            co_return r;
        }
        user = std::get<UserInfo>(std::move(*impersonated));
    }

    if (info.path.rfind(admin_prefix, 0) == 0) {
        Reply r = user.in_group(group_masters)
                      ? handle_admin(info, request)
                      : error_reply(user.is_authenticated()
                                        ? forbidden(forbidden_message(user, AuthorizationAttributes::from(info), ""))
                                        : unauthorized());
        record(info, request, user.name, r.response.result_int(), "");
        co_return r;
    }

    auto attrs = AuthorizationAttributes::from(info);
    auto decision = ctx_.authorizer.authorize(user, attrs);
    if (!decision.allowed) {
        ResourceType const* type = find_resource_type(info.group, info.version, info.resource);
        Reply r = error_reply(user.is_authenticated()
                                  ? forbidden(forbidden_message(user, attrs, decision.reason), type, info.name)
                                  : unauthorized());
        record(info, request, user.name, r.response.result_int(), "");
        co_return r;
    }

    if (auto fault = faults_.take(info)) {
        auto fault_id = std::to_string(fault->id);
        if (fault->delay_ms > 0) {
            asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(fault->delay_ms));
            co_await timer.async_wait(asio::use_awaitable);
        }
        if (fault->drop) {
            record(info, request, user.name, 0, fault_id);
            Reply r;
            r.drop = true;
            co_return r;
        }
        if (fault->status != 0) {
            Reply r = error_reply(fault->to_error());
            record(info, request, user.name, fault->status, fault_id);
            co_return r;
        }
        Reply r = routed(info, request, user);
        apply_stream_faults(*fault, r);
        record(info, request, user.name, r.response.result_int(), fault_id);
        co_return r;
    }

    Reply r = routed(info, request, user);
    record(info, request, user.name, r.response.result_int(), "");
    co_return r;
}

Reply ApiServer::routed(RequestInfo const& info, HttpRequest const& request, UserInfo const& user) {
    // Whatever the handler commits is this user's doing.
    AuditLog::Scope scope(ctx_.audit, user.name, info.verb);
    return route(ctx_, info, request, user);
}

Reply ApiServer::handle_admin(RequestInfo const& info, HttpRequest const& request) {
    if (info.path == "/emulator/v1/faults") {
        if (request.method() == http::verb::post) {
            boost::system::error_code ec;
            auto body = json::parse(request.body(), ec);
            if (ec) return error_reply(bad_request("fault: the body is not JSON: " + ec.message()));
            auto fault = Fault::from_json(body);
            if (!fault) return error_reply(bad_request(fault.error().message));
            int id = faults_.add(*fault);
            fault->id = id;
            return json_reply(http::status::created, fault->to_json());
        }
        if (request.method() == http::verb::delete_) {
            faults_.clear();
            return json_reply(http::status::ok, json::object{{"items", json::array()}});
        }
        if (request.method() == http::verb::get) return json_reply(http::status::ok, json::object{{"items", faults_.to_json()}});
    } else if (info.path == "/emulator/v1/requests") {
        if (request.method() == http::verb::get) return json_reply(http::status::ok, json::object{{"items", log_.to_json()}});
        if (request.method() == http::verb::delete_) {
            log_.clear();
            return json_reply(http::status::ok, json::object{{"items", json::array()}});
        }
    } else if (info.path == "/emulator/v1/audit") {
        if (request.method() == http::verb::get)
            return json_reply(http::status::ok, json::object{{"items", ctx_.audit.to_json()}});
        if (request.method() == http::verb::delete_) {
            ctx_.audit.clear();
            return json_reply(http::status::ok, json::object{{"items", json::array()}});
        }
    } else {
        return error_reply(status_from_code(404, "NotFound", "the server could not find the requested resource"));
    }
    return error_reply(method_not_allowed("the server does not allow this method on the requested resource"));
}

}  // namespace gic::emu::kube
