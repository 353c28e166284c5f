#include "pki/key.hpp"

#include "pki/openssl_error.hpp"
#include "util/worker.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace gic::pki {
namespace {

struct AlgorithmName {
    KeyAlgorithm algorithm;
    std::string_view name;
};

constexpr std::array<AlgorithmName, 5> algorithm_names{{
    {KeyAlgorithm::rsa2048, "rsa-2048"},
    {KeyAlgorithm::rsa3072, "rsa-3072"},
    {KeyAlgorithm::rsa4096, "rsa-4096"},
    {KeyAlgorithm::ecdsa_p256, "ecdsa-p256"},
    {KeyAlgorithm::ecdsa_p384, "ecdsa-p384"},
}};

EVP_PKEY* generate_raw(KeyAlgorithm algorithm) {
    switch (algorithm) {
    case KeyAlgorithm::rsa2048: return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
    case KeyAlgorithm::rsa3072: return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072});
    case KeyAlgorithm::rsa4096: return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096});
    case KeyAlgorithm::ecdsa_p256: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case KeyAlgorithm::ecdsa_p384: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    }
    return nullptr;
}

// The curve's NID whatever name OpenSSL reports for it ("prime256v1" or "P-256").
int curve_nid(EVP_PKEY* key) {
    char name[80] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, name, sizeof name, &length) != 1) {
        detail::clear_openssl_errors();
        return NID_undef;
    }
    int nid = OBJ_txt2nid(name);
    if (nid == NID_undef) {
        nid = EC_curve_nist2nid(name);
    }
    detail::clear_openssl_errors();
    return nid;
}

// Used on PEM labels only: error messages never quote the input, which may be key material.
bool contains(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }

// OpenSSL would ask for a passphrase on the terminal without this.
int refuse_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view name) {
    for (auto const& entry : algorithm_names) {
        if (entry.name == name) {
            return entry.algorithm;
        }
    }
    return std::nullopt;
}

std::string_view key_algorithm_name(KeyAlgorithm algorithm) {
    for (auto const& entry : algorithm_names) {
        if (entry.algorithm == algorithm) {
            return entry.name;
        }
    }
    return "unknown";
}

std::string key_algorithm_names() {
    std::string joined;
    for (auto const& entry : algorithm_names) {
        if (!joined.empty()) {
            joined += ", ";
        }
        joined += entry.name;
    }
    return joined;
}

PrivateKey::PrivateKey(PrivateKey const& other) : key_(other.key_.get()) {
    if (key_) {
        EVP_PKEY_up_ref(key_.get());
    }
}

PrivateKey& PrivateKey::operator=(PrivateKey const& other) {
    if (this != &other) {
        PrivateKey copy(other);
        *this = std::move(copy);
    }
    return *this;
}

PrivateKey PrivateKey::generate(KeyAlgorithm algorithm) {
    detail::clear_openssl_errors();
    PKeyPtr key(generate_raw(algorithm));
    if (!key) {
        throw std::runtime_error("generating a " + std::string(key_algorithm_name(algorithm)) +
                                 " key failed: " + detail::take_openssl_error());
    }
    return PrivateKey(std::move(key));
}

boost::asio::awaitable<PrivateKey> async_generate_key(util::Worker& worker, KeyAlgorithm algorithm) {
    // Only the algorithm crosses to the worker; OpenSSL's error queue is per thread.
    return worker.run([algorithm] { return PrivateKey::generate(algorithm); });
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
    if (!contains(pem, "-----BEGIN ")) {
        return make_error("not a PEM private key", "no -----BEGIN line");
    }
    if (contains(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        return make_error("encrypted private keys are not supported");
    }
    if (!contains(pem, "-----BEGIN PRIVATE KEY-----") && !contains(pem, "-----BEGIN RSA PRIVATE KEY-----") &&
        !contains(pem, "-----BEGIN EC PRIVATE KEY-----")) {
        return make_error("not a PEM private key",
                          "expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block");
    }
    detail::clear_openssl_errors();
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        throw std::bad_alloc();
    }
    PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (!key) {
        return make_error("PEM private key does not parse", detail::take_openssl_error());
    }
    detail::clear_openssl_errors();
    return PrivateKey(std::move(key));
}

std::string PrivateKey::to_pkcs8_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        throw std::runtime_error("writing a private key as PKCS#8 failed: " + detail::take_openssl_error());
    }
    char* data = nullptr;
    long const length = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, static_cast<std::size_t>(length));
    OPENSSL_cleanse(data, static_cast<std::size_t>(length));
    return pem;
}

std::string PrivateKey::public_key_der() const {
    unsigned char* der = nullptr;
    int const length = i2d_PUBKEY(key_.get(), &der);
    if (length <= 0) {
        throw std::runtime_error("encoding a public key failed: " + detail::take_openssl_error());
    }
    std::string out(reinterpret_cast<char const*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return out;
}

std::optional<KeyAlgorithm> PrivateKey::algorithm() const {
    switch (EVP_PKEY_get_base_id(key_.get())) {
    case EVP_PKEY_RSA:
        switch (EVP_PKEY_get_bits(key_.get())) {
        case 2048: return KeyAlgorithm::rsa2048;
        case 3072: return KeyAlgorithm::rsa3072;
        case 4096: return KeyAlgorithm::rsa4096;
        default: return std::nullopt;
        }
    case EVP_PKEY_EC:
        switch (curve_nid(key_.get())) {
        case NID_X9_62_prime256v1: return KeyAlgorithm::ecdsa_p256;
        case NID_secp384r1: return KeyAlgorithm::ecdsa_p384;
        default: return std::nullopt;
        }
    default: return std::nullopt;
    }
}

EVP_MD const* PrivateKey::signature_digest() const {
    if (EVP_PKEY_get_base_id(key_.get()) == EVP_PKEY_EC && curve_nid(key_.get()) == NID_secp384r1) {
        return EVP_sha384();
    }
    return EVP_sha256();
}

}  // namespace gic::pki
