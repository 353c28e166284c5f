#pragma once
// A blocking HTTPS client for protocol tests: one connection per request, verifying the
// emulator's certificate against its ca.crt (IP SAN 127.0.0.1).

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <string>

namespace gic::emu::kube::test {

struct HttpResult {
    unsigned status = 0;  // 0: no response (connection closed or failed)
    std::string error;    // transport error when status is 0
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names

    boost::json::object json() const;
    std::string header(std::string const& name) const;
};

struct ClientIdentity {
    std::string cert_pem;
    std::string key_pem;
};

class ApiClient {
public:
    ApiClient(int port, std::string ca_pem, std::optional<ClientIdentity> identity, std::string bearer_token);

    HttpResult request(std::string const& method, std::string const& target, std::string const& body = {},
                       std::string const& content_type = "application/json",
                       std::map<std::string, std::string> const& headers = {}) const;
    HttpResult get(std::string const& target) const { return request("GET", target); }
    HttpResult post(std::string const& target, boost::json::value const& body) const {
        return request("POST", target, boost::json::serialize(body));
    }
    HttpResult put(std::string const& target, boost::json::value const& body) const {
        return request("PUT", target, boost::json::serialize(body));
    }
    HttpResult del(std::string const& target) const { return request("DELETE", target); }

private:
    int port_;
    std::string ca_pem_;
    std::optional<ClientIdentity> identity_;
    std::string token_;
};

}  // namespace gic::emu::kube::test
