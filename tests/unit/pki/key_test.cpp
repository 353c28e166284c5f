#include "support.hpp"
#include "common/reused_keys.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/pem.h>

#include <sstream>

using namespace gic::pki;
using namespace gic::pki::test;

namespace {

constexpr KeyAlgorithm all_algorithms[] = {KeyAlgorithm::rsa2048, KeyAlgorithm::rsa3072, KeyAlgorithm::rsa4096,
                                           KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ecdsa_p384};

std::string traditional_pem(PrivateKey const& key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    long const length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

std::string first_line(std::string const& text) { return text.substr(0, text.find('\n')); }

}  // namespace

BOOST_AUTO_TEST_SUITE(pki_key)

BOOST_AUTO_TEST_CASE(algorithm_names_round_trip) {
    for (auto algorithm : all_algorithms) {
        auto const name = key_algorithm_name(algorithm);
        BOOST_TEST_CONTEXT("algorithm " << name) {
            BOOST_TEST(parse_key_algorithm(name) == algorithm);
            BOOST_TEST(key_algorithm_names().find(std::string(name)) != std::string::npos);
        }
    }
    BOOST_TEST(!parse_key_algorithm("rsa-1024").has_value());
    BOOST_TEST(!parse_key_algorithm("RSA-2048").has_value());
    BOOST_TEST(!parse_key_algorithm("").has_value());
}

BOOST_AUTO_TEST_CASE(every_algorithm_round_trips_through_pkcs8_pem) {
    for (auto algorithm : all_algorithms) {
        BOOST_TEST_CONTEXT("algorithm " << key_algorithm_name(algorithm)) {
            // The subject is the PEM round trip, not generation: keys made once per process.
            auto const key = gic::test::reused_key(algorithm);
            BOOST_TEST(key.algorithm() == algorithm);
            auto const pem = key.to_pkcs8_pem();
            BOOST_TEST(first_line(pem) == "-----BEGIN PRIVATE KEY-----");
            auto const parsed = PrivateKey::from_pem(pem);
            BOOST_REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
            BOOST_TEST(parsed->algorithm() == algorithm);
            BOOST_TEST(parsed->public_key_der() == key.public_key_der());
            BOOST_TEST(EVP_PKEY_eq(parsed->get(), key.get()) == 1);
        }
    }
}

BOOST_AUTO_TEST_CASE(generated_keys_differ) {
    auto const a = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    auto const b = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    BOOST_TEST(a.public_key_der() != b.public_key_der());
}

BOOST_AUTO_TEST_CASE(accepts_pkcs1_and_sec1) {
    struct Case {
        KeyAlgorithm algorithm;
        char const* label;
    };
    for (auto const& c : {Case{KeyAlgorithm::rsa2048, "-----BEGIN RSA PRIVATE KEY-----"},
                          Case{KeyAlgorithm::ecdsa_p256, "-----BEGIN EC PRIVATE KEY-----"},
                          Case{KeyAlgorithm::ecdsa_p384, "-----BEGIN EC PRIVATE KEY-----"}}) {
        BOOST_TEST_CONTEXT("algorithm " << key_algorithm_name(c.algorithm)) {
            auto const key = gic::test::reused_key(c.algorithm);
            auto const pem = traditional_pem(key);
            BOOST_TEST(first_line(pem) == c.label);
            auto const parsed = PrivateKey::from_pem(pem);
            BOOST_REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
            BOOST_TEST(parsed->public_key_der() == key.public_key_der());
            BOOST_TEST(parsed->algorithm() == c.algorithm);
            // Written back out as PKCS#8, whatever it was read from.
            BOOST_TEST(first_line(parsed->to_pkcs8_pem()) == "-----BEGIN PRIVATE KEY-----");
        }
    }
}

BOOST_AUTO_TEST_CASE(signature_digest_follows_go) {
    BOOST_TEST(PrivateKey::generate(KeyAlgorithm::ecdsa_p384).signature_digest() == EVP_sha384());
    BOOST_TEST(PrivateKey::generate(KeyAlgorithm::ecdsa_p256).signature_digest() == EVP_sha256());
    BOOST_TEST(gic::test::reused_key(KeyAlgorithm::rsa2048).signature_digest() == EVP_sha256());
}

BOOST_AUTO_TEST_CASE(copies_share_the_key) {
    auto const key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    PrivateKey copy = key;
    BOOST_TEST(copy.get() == key.get());
    auto other = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    other = copy;
    BOOST_TEST(other.public_key_der() == key.public_key_der());
}

BOOST_AUTO_TEST_CASE(unknown_algorithm_is_reported_as_none) {
    PKeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    BOOST_REQUIRE(ed25519);
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PKCS8PrivateKey(bio.get(), ed25519.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long const length = BIO_get_mem_data(bio.get(), &data);
    auto const parsed = PrivateKey::from_pem(std::string(data, static_cast<std::size_t>(length)));
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST(!parsed->algorithm().has_value());
}

BOOST_AUTO_TEST_CASE(rejects_text_that_is_not_a_pem_key) {
    auto const not_pem = PrivateKey::from_pem("just some text");
    BOOST_REQUIRE(!not_pem);
    BOOST_TEST(not_pem.error().message == "not a PEM private key: no -----BEGIN line");

    auto const empty = PrivateKey::from_pem("");
    BOOST_REQUIRE(!empty);
    BOOST_TEST(empty.error().message.starts_with("not a PEM private key"));

    Hierarchy const h;
    auto const certificate = PrivateKey::from_pem(h.leaf.to_pem());
    BOOST_REQUIRE(!certificate);
    BOOST_TEST(certificate.error().message ==
               "not a PEM private key: expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block");
}

BOOST_AUTO_TEST_CASE(rejects_encrypted_keys_without_prompting) {
    auto const key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    BioPtr bio(BIO_new(BIO_s_mem()));
    char passphrase[] = "secret";
    BOOST_REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), passphrase, 6, nullptr,
                                                nullptr) == 1);
    char* data = nullptr;
    long const length = BIO_get_mem_data(bio.get(), &data);
    auto const parsed = PrivateKey::from_pem(std::string(data, static_cast<std::size_t>(length)));
    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().message == "encrypted private keys are not supported");
}

BOOST_AUTO_TEST_CASE(broken_key_error_never_echoes_key_material) {
    auto const pem = PrivateKey::generate(KeyAlgorithm::ecdsa_p256).to_pkcs8_pem();
    // Truncate the base64 body: still a PRIVATE KEY block, no longer a key.
    std::istringstream lines(pem);
    std::string line;
    std::string broken;
    std::vector<std::string> body;
    while (std::getline(lines, line)) {
        if (line.starts_with("-----")) {
            broken += line + "\n";
        } else if (body.empty()) {
            body.push_back(line);
            broken += line.substr(0, 20) + "\n";
        } else {
            body.push_back(line);
        }
    }
    auto const parsed = PrivateKey::from_pem(broken);
    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().message.starts_with("PEM private key does not parse: "));
    for (auto const& secret_line : body) {
        BOOST_TEST(parsed.error().message.find(secret_line.substr(0, 16)) == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
