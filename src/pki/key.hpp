#pragma once
// Private keys: generated in memory, serialised only as PKCS#8 PEM into the Secret or the
// output directory. Never logged.

#include "pki/handles.hpp"
#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace gic::util {
class Worker;
}

namespace gic::pki {

enum class KeyAlgorithm { rsa2048, rsa3072, rsa4096, ecdsa_p256, ecdsa_p384 };

// "rsa-2048", "rsa-3072", "rsa-4096", "ecdsa-p256", "ecdsa-p384".
std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view name);
std::string_view key_algorithm_name(KeyAlgorithm algorithm);
// The accepted names joined by ", " (for --help and error messages).
std::string key_algorithm_names();

class PrivateKey {
public:
    // Throws std::runtime_error only if OpenSSL itself fails (out of memory).
    static PrivateKey generate(KeyAlgorithm algorithm);
    // Accepts PKCS#8, PKCS#1 (RSA PRIVATE KEY) and SEC1 (EC PRIVATE KEY) PEM.
    static Result<PrivateKey> from_pem(std::string_view pem);

    std::string to_pkcs8_pem() const;
    // DER SubjectPublicKeyInfo, for comparing keys.
    std::string public_key_der() const;
    // The algorithm when it is one we generate, else nullopt.
    std::optional<KeyAlgorithm> algorithm() const;
    // The digest Go's crypto/x509 pairs with this key: SHA-384 for P-384, SHA-256 otherwise.
    EVP_MD const* signature_digest() const;
    EVP_PKEY* get() const noexcept { return key_.get(); }

    // Copies share the (immutable) OpenSSL key by reference count.
    PrivateKey(PrivateKey const& other);
    PrivateKey& operator=(PrivateKey const& other);
    PrivateKey(PrivateKey&&) noexcept = default;
    PrivateKey& operator=(PrivateKey&&) noexcept = default;

private:
    explicit PrivateKey(PKeyPtr key) : key_(std::move(key)) {}
    PKeyPtr key_;
};

// PrivateKey::generate on `worker`'s thread, so that the loop keeps serving probes, the Lease and
// watches meanwhile (an rsa-4096 key takes up to hundreds of milliseconds). Cancellation as
// util::Worker::run: the awaiting coroutine resumes at once; the key is discarded.
boost::asio::awaitable<PrivateKey> async_generate_key(util::Worker& worker, KeyAlgorithm algorithm);

}  // namespace gic::pki
