#pragma once
// An elector's identity, as controller-runtime builds it: `<pod name>_<uuid>`, unique per process
// so that a restarted pod never mistakes the previous process's Lease for its own.

#include <string>

namespace gic::election {

// POD_NAME, else the hostname, else "unknown".
std::string pod_name();

// A random RFC 4122 version-4 UUID (the kernel's, or OpenSSL's RAND_bytes when /proc is not there).
std::string random_uuid();

// `<pod_name>_<random uuid>`.
std::string make_identity(std::string const& pod);

}  // namespace gic::election
