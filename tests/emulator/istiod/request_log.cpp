#include "request_log.hpp"

#include "status_codes.hpp"

#include <boost/json/object.hpp>
#include <openssl/evp.h>

#include <ctime>
#include <stdexcept>

namespace gic::emu::istiod {
namespace {

std::string rfc3339(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(millis));
    return out;
}

}  // namespace

std::string token_fingerprint(std::string_view token) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < 8 && i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

void RequestLog::add(RequestRecord record) {
    std::lock_guard lock(mutex_);
    records_.push_back(std::move(record));
}

std::vector<RequestRecord> RequestLog::records() const {
    std::lock_guard lock(mutex_);
    return records_;
}

void RequestLog::clear() {
    std::lock_guard lock(mutex_);
    records_.clear();
}

boost::json::array RequestLog::to_json() const {
    boost::json::array out;
    for (auto const& r : records()) {
        boost::json::object o;
        o["time"] = rfc3339(r.time);
        o["peer"] = r.peer;
        o["clusterid"] = r.clusterid ? boost::json::value(*r.clusterid) : boost::json::value(nullptr);
        o["tokenSha256"] = r.token_sha256.empty() ? boost::json::value(nullptr) : boost::json::value(r.token_sha256);
        o["identity"] = r.identity.empty() ? boost::json::value(nullptr) : boost::json::value(r.identity);
        o["authError"] = r.auth_error.empty() ? boost::json::value(nullptr) : boost::json::value(r.auth_error);
        o["requestedTtlSeconds"] = r.requested_ttl_seconds;
        o["code"] = static_cast<int>(r.code);
        o["codeName"] = status_code_name(r.code);
        o["message"] = r.message;
        if (!r.fault.empty()) o["fault"] = r.fault;
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace gic::emu::istiod
