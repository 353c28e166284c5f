#pragma once
// The request pipeline: authenticate → admin endpoints → authorize → injected faults → route,
// then one log line on stderr and one record in the request log. The HTTPS layer hands every
// parsed request here and writes back whatever comes out.

#include "authn.hpp"
#include "faults.hpp"
#include "request.hpp"
#include "server_context.hpp"

#include <boost/asio/awaitable.hpp>

namespace gic::emu::kube {

class ApiServer {
public:
    ApiServer(ServerContext& ctx, FaultInjector& faults, RequestLog& log) : ctx_(ctx), faults_(faults), log_(log) {}

    boost::asio::awaitable<Reply> handle(HttpRequest const& request, PeerCertificate const& peer);

private:
    Reply handle_admin(RequestInfo const& info, HttpRequest const& request);
    Reply routed(RequestInfo const& info, HttpRequest const& request, UserInfo const& user);
    void record(RequestInfo const& info, HttpRequest const& request, std::string const& user, unsigned code,
                std::string const& fault);

    ServerContext& ctx_;
    FaultInjector& faults_;
    RequestLog& log_;
};

}  // namespace gic::emu::kube
