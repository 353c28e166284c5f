#include "election/identity.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace gic::election {

std::string pod_name() {
    if (char const* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') return pod;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
    return "unknown";
}

std::string random_uuid() {
    std::ifstream kernel("/proc/sys/kernel/random/uuid");
    std::string uuid;
    if (kernel && std::getline(kernel, uuid) && uuid.size() == 36) return uuid;
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), int(b.size())) != 1) throw std::runtime_error("no randomness for the elector's identity");
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

std::string make_identity(std::string const& pod) { return pod + "_" + random_uuid(); }

}  // namespace gic::election
