#include "support.hpp"

#include "util/time_bounds.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <cstdlib>
#include <ctime>

using namespace gic::pki;
using namespace gic::pki::test;

namespace {

// A certificate with fixed validity times, to check the time conversion exactly.
Certificate with_validity(emu::CertificateAuthority const& ca, std::time_t not_before, std::time_t not_after) {
    auto cert = leaf_with_uris(ca, ca.key(), {std::string(workload_id)});
    X509Ptr copy(X509_dup(cert.get()));
    ASN1_TIME_set(X509_getm_notBefore(copy.get()), not_before);
    ASN1_TIME_set(X509_getm_notAfter(copy.get()), not_after);
    X509_sign(copy.get(), ca.key().get(), EVP_sha256());
    return Certificate::adopt(std::move(copy));
}

// Sets TZ for the scope, so that a conversion through local time would show.
struct ScopedTimeZone {
    explicit ScopedTimeZone(char const* zone) {
        if (char const* old = std::getenv("TZ")) {
            old_ = old;
        }
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~ScopedTimeZone() {
        if (old_.empty()) {
            ::unsetenv("TZ");
        } else {
            ::setenv("TZ", old_.c_str(), 1);
        }
        ::tzset();
    }
    std::string old_;
};

std::string hex(unsigned char const* bytes, std::size_t length) {
    std::string out;
    char buffer[3];
    for (std::size_t i = 0; i < length; ++i) {
        std::snprintf(buffer, sizeof buffer, "%02x", bytes[i]);
        out += buffer;
    }
    return out;
}

std::string broken_second_block(std::string const& first) {
    return first + "-----BEGIN CERTIFICATE-----\nTUlJQm9uZQ==\n-----END CERTIFICATE-----\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pki_certificate)

BOOST_AUTO_TEST_CASE(from_pem_round_trips) {
    Hierarchy const h;
    auto const parsed = Certificate::from_pem(h.leaf.to_pem());
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->fingerprint_sha256() == h.leaf.fingerprint_sha256());
    BOOST_TEST(parsed->to_pem() == h.leaf.to_pem());
}

BOOST_AUTO_TEST_CASE(from_pem_wants_exactly_one_certificate) {
    Hierarchy const h;
    auto const two = Certificate::from_pem(h.leaf.to_pem() + h.root.cert().to_pem());
    BOOST_REQUIRE(!two);
    BOOST_TEST(two.error().message == "expected one PEM certificate, found 2");
    auto const none = Certificate::from_pem("nothing here");
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.error().message == "no PEM certificate found");
}

BOOST_AUTO_TEST_CASE(workload_leaf_facts) {
    Hierarchy const h;
    BOOST_TEST(h.leaf.uri_sans() == std::vector<std::string>{std::string(workload_id)});
    BOOST_TEST(h.leaf.dns_sans().empty());
    BOOST_TEST(h.leaf.ip_sans().empty());
    BOOST_TEST(h.leaf.subject() == "");
    BOOST_TEST(h.leaf.issuer() == "CN=Test Intermediate CA,O=Test Org");
    BOOST_TEST(!h.leaf.is_ca());
    BOOST_TEST(!h.leaf.is_self_signed());
    BOOST_TEST(h.leaf.matches_key(h.leaf_key));
    BOOST_TEST(!h.leaf.matches_key(h.intermediate.key()));
}

BOOST_AUTO_TEST_CASE(server_certificate_facts) {
    Hierarchy const h;
    auto const server = h.root.issue_server({"api.example.test", "localhost"}, {"127.0.0.1", "::1"}, 1h);
    BOOST_TEST(server.cert.dns_sans() == (std::vector<std::string>{"api.example.test", "localhost"}));
    BOOST_TEST(server.cert.ip_sans() == (std::vector<std::string>{"127.0.0.1", "::1"}));
    BOOST_TEST(server.cert.uri_sans().empty());
    BOOST_TEST(server.cert.subject() == "CN=api.example.test");
    BOOST_TEST(server.cert.issuer() == h.root.cert().subject());
}

BOOST_AUTO_TEST_CASE(ca_and_self_signed) {
    Hierarchy const h;
    BOOST_TEST(h.root.cert().is_ca());
    BOOST_TEST(h.root.cert().is_self_signed());
    BOOST_TEST(h.root.cert().subject() == "CN=Test Root CA,O=Test Org");
    BOOST_TEST(h.root.cert().issuer() == h.root.cert().subject());
    BOOST_TEST(h.intermediate.cert().is_ca());
    BOOST_TEST(!h.intermediate.cert().is_self_signed());
}

BOOST_AUTO_TEST_CASE(same_names_but_foreign_signature_is_not_self_signed) {
    Hierarchy const h;
    // Subject equals issuer, but the root's key signed it, not its own.
    auto const look_alike = h.root.create_intermediate("Test Org", "Test Root CA", KeyAlgorithm::ecdsa_p256, 1h);
    BOOST_TEST(look_alike.cert().subject() == look_alike.cert().issuer());
    BOOST_TEST(!look_alike.cert().is_self_signed());
}

BOOST_AUTO_TEST_CASE(serial_is_lower_case_hex_of_the_serial_number) {
    Hierarchy const h;
    ASN1_INTEGER const* serial = X509_get0_serialNumber(h.leaf.get());
    // Independent reading: strip leading zero bytes from the content octets.
    unsigned char const* bytes = ASN1_STRING_get0_data(serial);
    std::size_t length = static_cast<std::size_t>(ASN1_STRING_length(serial));
    while (length > 1 && bytes[0] == 0) {
        ++bytes;
        --length;
    }
    // Whole octets, as `openssl x509 -noout -serial` prints them: a serial whose first octet is
    // below 0x10 keeps its leading zero nibble (1 in 16 random serials; the check assumed
    // otherwise once and failed on those).
    auto const expected = hex(bytes, length);
    BOOST_TEST(h.leaf.serial_hex() == expected);
    BOOST_TEST(h.leaf.serial_hex().find_first_not_of("0123456789abcdef") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(serial_keeps_the_leading_zero_nibble_of_its_first_octet) {
    X509Ptr cert(X509_new());
    BOOST_REQUIRE(cert);
    BIGNUM* raw = nullptr;
    BOOST_REQUIRE(BN_hex2bn(&raw, "05AB00FF") == 8);
    BignumPtr serial_number(raw);
    BOOST_REQUIRE(BN_to_ASN1_INTEGER(serial_number.get(), X509_get_serialNumber(cert.get())) != nullptr);
    BOOST_TEST(Certificate::adopt(std::move(cert)).serial_hex() == "05ab00ff");
}

BOOST_AUTO_TEST_CASE(fingerprint_is_sha256_of_der) {
    Hierarchy const h;
    unsigned char* der = nullptr;
    int const length = i2d_X509(h.leaf.get(), &der);
    BOOST_REQUIRE(length > 0);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    BOOST_REQUIRE(EVP_Digest(der, static_cast<std::size_t>(length), digest, &digest_length, EVP_sha256(), nullptr) == 1);
    OPENSSL_free(der);
    BOOST_TEST(h.leaf.fingerprint_sha256() == hex(digest, digest_length));
    BOOST_TEST(h.leaf.fingerprint_sha256().size() == 64u);
}

BOOST_AUTO_TEST_CASE(validity_times_are_utc_whatever_the_local_zone) {
    Hierarchy const h;
    ScopedTimeZone const zone("America/New_York");
    // 2030-01-02T03:04:05Z (UTCTime) and 2051-06-07T08:09:10Z (GeneralizedTime).
    std::time_t const not_before = 1893553445;
    std::time_t const not_after = 2570429350;
    auto const cert = with_validity(h.root, not_before, not_after);
    BOOST_TEST(Clock::to_time_t(cert.not_before()) == not_before);
    BOOST_TEST(Clock::to_time_t(cert.not_after()) == not_after);
}

BOOST_AUTO_TEST_CASE(validity_past_2262_is_clamped_not_overflowed) {
    Hierarchy const h;
    // RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration". Nanosecond
    // system_clock ends in 2262; unclamped, the conversion overflows into the distant past.
    auto cert = leaf_with_uris(h.root, h.root.key(), {std::string(workload_id)});
    X509Ptr copy(X509_dup(cert.get()));
    BOOST_REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notBefore(copy.get()), "19500101000000Z") == 1);
    BOOST_REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notAfter(copy.get()), "99991231235959Z") == 1);
    X509_sign(copy.get(), h.root.key().get(), EVP_sha256());
    auto const forever = Certificate::adopt(std::move(copy));
    BOOST_TEST((forever.not_after() == Clock::time_point(gic::util::latest_time)));
    BOOST_TEST((forever.not_before() == Clock::time_point(gic::util::earliest_time)));
    BOOST_TEST((forever.not_after() > Clock::now()));
    // The two can be subtracted (life, half life) without overflow.
    BOOST_TEST((forever.not_after() - forever.not_before() > std::chrono::hours(24 * 365 * 200)));
}

BOOST_AUTO_TEST_CASE(copies_share_the_certificate) {
    Hierarchy const h;
    Certificate copy = h.leaf;
    BOOST_TEST(copy.get() == h.leaf.get());
    Certificate other = h.root.cert();
    other = copy;
    BOOST_TEST(other.fingerprint_sha256() == h.leaf.fingerprint_sha256());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pki_pem_bundle)

BOOST_AUTO_TEST_CASE(garbage_and_empty_input_have_no_certificate) {
    for (std::string_view input :
         {"", "garbage", "-----BEGIN NOTHING-----\nAAAA\n-----END NOTHING-----\n", "\n\n  \n"}) {
        BOOST_TEST_CONTEXT("input \"" << input << "\"") {
            auto const parsed = parse_pem_bundle(input);
            BOOST_REQUIRE(!parsed);
            BOOST_TEST(parsed.error().message == "no PEM certificate found");
        }
    }
}

BOOST_AUTO_TEST_CASE(key_blocks_alone_are_no_certificate) {
    auto const parsed = parse_pem_bundle(PrivateKey::generate(KeyAlgorithm::ecdsa_p256).to_pkcs8_pem());
    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().message == "no PEM certificate found");
}

BOOST_AUTO_TEST_CASE(two_blocks_in_order_with_text_between) {
    Hierarchy const h;
    auto const pem = "leading text\n" + h.leaf.to_pem() + "subject=whatever\n\n" + h.intermediate.cert().to_pem() +
                     "trailing";
    auto const parsed = parse_pem_bundle(pem);
    BOOST_REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
    BOOST_TEST(fingerprints(*parsed) ==
               (std::vector<std::string>{h.leaf.fingerprint_sha256(), h.intermediate.cert().fingerprint_sha256()}));
}

BOOST_AUTO_TEST_CASE(blocks_without_trailing_newline) {
    Hierarchy const h;
    auto pem = h.leaf.to_pem();
    pem.pop_back();
    auto const parsed = parse_pem_bundle(pem);
    BOOST_REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
    BOOST_TEST(parsed->size() == 1u);
}

BOOST_AUTO_TEST_CASE(broken_second_block_is_named) {
    Hierarchy const h;
    auto const parsed = parse_pem_bundle(broken_second_block(h.leaf.to_pem()));
    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().message.starts_with("PEM certificate #2 does not parse: "), parsed.error().message);
}

BOOST_AUTO_TEST_CASE(bad_base64_is_named) {
    auto const parsed = parse_pem_bundle("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().message.starts_with("PEM certificate #1 does not parse: "), parsed.error().message);
}

BOOST_AUTO_TEST_CASE(missing_end_line_is_an_error_not_the_end) {
    Hierarchy const h;
    auto const pem = h.leaf.to_pem();
    auto const truncated = pem + pem.substr(0, pem.size() / 2);
    auto const parsed = parse_pem_bundle(truncated);
    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().message.starts_with("PEM certificate #2 does not parse: "), parsed.error().message);
}

BOOST_AUTO_TEST_CASE(a_known_certificate_is_that_object_others_are_parsed) {
    Hierarchy const h;
    std::vector<Certificate> const known{h.root.cert()};
    auto const parsed = parse_pem_bundle(h.leaf.to_pem() + h.root.cert().to_pem(), known);
    BOOST_REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
    BOOST_TEST(fingerprints(*parsed) ==
               (std::vector<std::string>{h.leaf.fingerprint_sha256(), h.root.cert().fingerprint_sha256()}));
    BOOST_TEST(parsed->at(0).get() != h.leaf.get());
    BOOST_TEST(parsed->at(1).get() == h.root.cert().get());
}

BOOST_AUTO_TEST_CASE(a_certificate_like_a_known_one_but_not_it_is_parsed) {
    Hierarchy const h;
    // Same subject and issuer, another key: not the known root.
    auto const impostor =
        emu::CertificateAuthority::create_root("Test Org", "Test Root CA", KeyAlgorithm::ecdsa_p256, 24h * 365);
    std::vector<Certificate> const known{h.root.cert()};
    auto const parsed = parse_pem_bundle(impostor.cert().to_pem(), known);
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->at(0).get() != h.root.cert().get());
    BOOST_TEST(parsed->at(0).fingerprint_sha256() == impostor.cert().fingerprint_sha256());
}

BOOST_AUTO_TEST_CASE(known_certificates_change_no_error) {
    Hierarchy const h;
    std::vector<Certificate> const known{h.leaf, h.root.cert()};
    auto const broken = parse_pem_bundle(broken_second_block(h.leaf.to_pem()), known);
    BOOST_REQUIRE(!broken);
    BOOST_TEST(broken.error().message.starts_with("PEM certificate #2 does not parse: "), broken.error().message);
    auto const none = parse_pem_bundle("garbage", known);
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.error().message == "no PEM certificate found");
}

BOOST_AUTO_TEST_CASE(old_block_name_is_read_as_openssl_reads_it) {
    Hierarchy const h;
    auto pem = h.leaf.to_pem();
    for (auto at = pem.find("CERTIFICATE"); at != std::string::npos; at = pem.find("CERTIFICATE", at + 16)) {
        pem.insert(at, "X509 ");
    }
    auto const parsed = parse_pem_bundle(pem);
    BOOST_REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
    BOOST_TEST(parsed->at(0).fingerprint_sha256() == h.leaf.fingerprint_sha256());
}

BOOST_AUTO_TEST_CASE(first_certificate_alone) {
    Hierarchy const h;
    auto const first = parse_first_pem_certificate("text\n" + h.leaf.to_pem() + "garbage between\n" + h.root.cert().to_pem());
    BOOST_REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().message));
    BOOST_TEST(first->fingerprint_sha256() == h.leaf.fingerprint_sha256());
    // What follows the first block is not read: a broken second block does not matter.
    BOOST_TEST(parse_first_pem_certificate(broken_second_block(h.leaf.to_pem())).has_value());
    auto const none = parse_first_pem_certificate("");
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.error().message == "no PEM certificate found");
    auto const broken = parse_first_pem_certificate("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    BOOST_REQUIRE(!broken);
    BOOST_TEST(broken.error().message.starts_with("PEM certificate #1 does not parse: "), broken.error().message);
}

BOOST_AUTO_TEST_CASE(to_pem_bundle_round_trips) {
    Hierarchy const h;
    std::vector<Certificate> const certs{h.leaf, h.intermediate.cert(), h.root.cert()};
    auto const pem = to_pem_bundle(certs);
    BOOST_TEST(pem.back() == '\n');
    auto const parsed = parse_pem_bundle(pem);
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST(fingerprints(*parsed) == fingerprints(certs));
    BOOST_TEST(to_pem_bundle({}) == "");
}

BOOST_AUTO_TEST_SUITE_END()
