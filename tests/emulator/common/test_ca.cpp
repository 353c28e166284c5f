#include "test_ca.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <system_error>

namespace gic::emu {
namespace {

using Clock = std::chrono::system_clock;

// Istio backdates leaves by two minutes so that a peer whose clock is slightly behind accepts them.
constexpr std::chrono::minutes clock_skew_grace{2};

std::string openssl_reason() {
    unsigned long const code = ERR_peek_last_error();
    char const* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
    std::string out = reason ? reason : "unknown OpenSSL error";
    ERR_clear_error();
    return out;
}

[[noreturn]] void fail(std::string const& what) {
    throw std::runtime_error("test CA: " + what + ": " + openssl_reason());
}

void check(int rc, char const* what) {
    if (rc <= 0) {
        fail(what);
    }
}

// 128 random bits, as istiod's genSerialNum (big.Int below 2^128, never zero).
void set_random_serial(X509* cert) {
    unsigned char bytes[16];
    do {
        check(RAND_bytes(bytes, sizeof bytes), "drawing a serial number");
    } while (std::all_of(std::begin(bytes), std::end(bytes), [](unsigned char b) { return b == 0; }));
    pki::BignumPtr number(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!number || !BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert))) {
        fail("setting the serial number");
    }
}

void set_validity(X509* cert, Clock::time_point not_before, Clock::time_point not_after) {
    if (!ASN1_TIME_set(X509_getm_notBefore(cert), Clock::to_time_t(not_before)) ||
        !ASN1_TIME_set(X509_getm_notAfter(cert), Clock::to_time_t(not_after))) {
        fail("setting the validity period");
    }
}

pki::X509NamePtr make_name(std::vector<std::pair<int, std::string>> const& entries) {
    pki::X509NamePtr name(X509_NAME_new());
    if (!name) {
        fail("creating a name");
    }
    for (auto const& [nid, value] : entries) {
        check(X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                         reinterpret_cast<unsigned char const*>(value.data()),
                                         static_cast<int>(value.size()), -1, 0),
              "adding a name entry");
    }
    return name;
}

// Adds an extension from its OpenSSL config text ("critical,CA:TRUE").
void add_extension(X509* cert, X509V3_CTX* context, int nid, char const* value) {
    pki::X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
    if (!extension || !X509_add_ext(cert, extension.get(), -1)) {
        fail(std::string("adding extension ") + OBJ_nid2sn(nid) + "=" + value);
    }
}

void push_name(GENERAL_NAMES* names, int type, void* value) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (!name) {
        fail("creating a SAN");
    }
    GENERAL_NAME_set0_value(name, type, value);
    if (!sk_GENERAL_NAME_push(names, name)) {
        GENERAL_NAME_free(name);
        fail("adding a SAN");
    }
}

void push_text_name(GENERAL_NAMES* names, int type, std::string_view text) {
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    if (!value || !ASN1_STRING_set(value, text.data(), static_cast<int>(text.size()))) {
        ASN1_IA5STRING_free(value);
        fail("encoding a SAN");
    }
    push_name(names, type, value);
}

void push_ip_name(GENERAL_NAMES* names, std::string const& ip) {
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(ip.c_str());
    if (!value) {
        ERR_clear_error();
        throw std::invalid_argument("test CA: \"" + ip + "\" is not an IP address");
    }
    push_name(names, GEN_IPADD, value);
}

struct SubjectAltNames {
    std::vector<std::string> uris;
    std::vector<std::string> dns;
    std::vector<std::string> ips;
    bool critical = false;
};

void add_sans(X509* cert, SubjectAltNames const& sans) {
    pki::GeneralNamesPtr names(GENERAL_NAMES_new());
    if (!names) {
        fail("creating SANs");
    }
    for (auto const& uri : sans.uris) {
        push_text_name(names.get(), GEN_URI, uri);
    }
    for (auto const& dns : sans.dns) {
        push_text_name(names.get(), GEN_DNS, dns);
    }
    for (auto const& ip : sans.ips) {
        push_ip_name(names.get(), ip);
    }
    check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), sans.critical ? 1 : 0, X509V3_ADD_DEFAULT),
          "adding subjectAltName");
}

struct CertSpec {
    EVP_PKEY* public_key = nullptr;
    X509_NAME* subject = nullptr;
    Clock::time_point not_before;
    Clock::time_point not_after;
};

// A v3 certificate with serial, validity, names and key set, and the subject key identifier
// extension; the caller adds the rest and then calls sign_with.
pki::X509Ptr start_certificate(CertSpec const& spec, X509* issuer) {
    pki::X509Ptr cert(X509_new());
    if (!cert) {
        fail("creating a certificate");
    }
    check(X509_set_version(cert.get(), X509_VERSION_3), "setting the version");
    set_random_serial(cert.get());
    set_validity(cert.get(), spec.not_before, spec.not_after);
    check(X509_set_subject_name(cert.get(), spec.subject), "setting the subject");
    check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : spec.subject),
          "setting the issuer");
    check(X509_set_pubkey(cert.get(), spec.public_key), "setting the public key");
    return cert;
}

void add_key_identifiers(X509* cert, X509* issuer) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    add_extension(cert, &context, NID_subject_key_identifier, "hash");
    if (issuer) {
        add_extension(cert, &context, NID_authority_key_identifier, "keyid:always");
    }
}

void add_plain_extensions(X509* cert, X509* issuer, std::vector<std::pair<int, char const*>> const& extensions) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    for (auto const& [nid, value] : extensions) {
        add_extension(cert, &context, nid, value);
    }
}

pki::Certificate sign_with(pki::X509Ptr cert, pki::PrivateKey const& signer) {
    if (X509_sign(cert.get(), signer.get(), signer.signature_digest()) <= 0) {
        fail("signing a certificate");
    }
    return pki::Certificate::adopt(std::move(cert));
}

pki::KeyAlgorithm algorithm_or_p256(pki::PrivateKey const& key) {
    return key.algorithm().value_or(pki::KeyAlgorithm::ecdsa_p256);
}

constexpr char const* ca_key_usage = "critical,keyCertSign,cRLSign,digitalSignature";
constexpr char const* ca_basic_constraints = "critical,CA:TRUE";

}  // namespace

CertificateAuthority CertificateAuthority::create_root(std::string const& organization, std::string const& common_name,
                                                       pki::KeyAlgorithm algorithm, std::chrono::seconds ttl) {
    return create_root(organization, common_name, pki::PrivateKey::generate(algorithm), ttl);
}

CertificateAuthority CertificateAuthority::create_root(std::string const& organization, std::string const& common_name,
                                                       pki::PrivateKey key, std::chrono::seconds ttl) {
    auto const now = Clock::now();
    auto subject = make_name({{NID_organizationName, organization}, {NID_commonName, common_name}});
    auto cert = start_certificate({key.get(), subject.get(), now - clock_skew_grace, now + ttl}, nullptr);
    add_plain_extensions(cert.get(), nullptr,
                         {{NID_basic_constraints, ca_basic_constraints}, {NID_key_usage, ca_key_usage}});
    add_key_identifiers(cert.get(), nullptr);
    auto signed_cert = sign_with(std::move(cert), key);
    return CertificateAuthority(std::move(signed_cert), std::move(key));
}

Result<CertificateAuthority> CertificateAuthority::from_pem(std::string_view cert_pem, std::string_view key_pem) {
    auto cert = pki::Certificate::from_pem(cert_pem);
    if (!cert) {
        return wrap_error("CA certificate", cert.error());
    }
    auto key = pki::PrivateKey::from_pem(key_pem);
    if (!key) {
        return wrap_error("CA key", key.error());
    }
    if (!cert->is_ca()) {
        return make_error("CA certificate \"" + cert->subject() + "\" is not a CA (basicConstraints CA:TRUE missing)");
    }
    if (!cert->matches_key(*key)) {
        return make_error("CA key does not match the CA certificate \"" + cert->subject() + "\"");
    }
    return CertificateAuthority(std::move(*cert), std::move(*key));
}

CertificateAuthority CertificateAuthority::create_intermediate(std::string const& organization,
                                                               std::string const& common_name,
                                                               pki::KeyAlgorithm algorithm,
                                                               std::chrono::seconds ttl) const {
    return create_intermediate(organization, common_name, pki::PrivateKey::generate(algorithm), ttl);
}

CertificateAuthority CertificateAuthority::create_intermediate(std::string const& organization,
                                                               std::string const& common_name, pki::PrivateKey key,
                                                               std::chrono::seconds ttl) const {
    auto const now = Clock::now();
    auto subject = make_name({{NID_organizationName, organization}, {NID_commonName, common_name}});
    auto cert = start_certificate(
        {key.get(), subject.get(), now - clock_skew_grace, std::min(now + ttl, cert_.not_after())}, cert_.get());
    add_plain_extensions(cert.get(), cert_.get(),
                         {{NID_basic_constraints, ca_basic_constraints}, {NID_key_usage, ca_key_usage}});
    add_key_identifiers(cert.get(), cert_.get());
    auto signed_cert = sign_with(std::move(cert), key_);
    return CertificateAuthority(std::move(signed_cert), std::move(key));
}

IssuedCert CertificateAuthority::issue_server(std::vector<std::string> const& dns_names,
                                              std::vector<std::string> const& ip_addresses,
                                              std::chrono::seconds ttl) const {
    if (dns_names.empty() && ip_addresses.empty()) {
        throw std::invalid_argument("test CA: a server certificate needs at least one DNS name or IP address");
    }
    auto key = pki::PrivateKey::generate(algorithm_or_p256(key_));
    auto const now = Clock::now();
    std::string const common_name = dns_names.empty() ? ip_addresses.front() : dns_names.front();
    auto subject = make_name({{NID_commonName, common_name}});
    auto cert = start_certificate(
        {key.get(), subject.get(), now - clock_skew_grace, std::min(now + ttl, cert_.not_after())}, cert_.get());
    add_plain_extensions(cert.get(), cert_.get(),
                         {{NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                          {NID_ext_key_usage, "serverAuth"}});
    add_key_identifiers(cert.get(), cert_.get());
    add_sans(cert.get(), {.uris = {}, .dns = dns_names, .ips = ip_addresses, .critical = false});
    auto signed_cert = sign_with(std::move(cert), key_);
    return IssuedCert{std::move(signed_cert), std::move(key)};
}

IssuedCert CertificateAuthority::issue_client(std::string const& user, std::vector<std::string> const& groups,
                                              std::chrono::seconds ttl) const {
    auto key = pki::PrivateKey::generate(algorithm_or_p256(key_));
    auto const now = Clock::now();
    // Kubernetes reads the groups from the O entries in order; OpenSSL prints the RDNs in the
    // order they are added, and the API server accepts any order.
    std::vector<std::pair<int, std::string>> entries;
    for (auto const& group : groups) {
        entries.emplace_back(NID_organizationName, group);
    }
    entries.emplace_back(NID_commonName, user);
    auto subject = make_name(entries);
    auto cert = start_certificate(
        {key.get(), subject.get(), now - clock_skew_grace, std::min(now + ttl, cert_.not_after())}, cert_.get());
    add_plain_extensions(cert.get(), cert_.get(),
                         {{NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                          {NID_ext_key_usage, "clientAuth"}});
    add_key_identifiers(cert.get(), cert_.get());
    auto signed_cert = sign_with(std::move(cert), key_);
    return IssuedCert{std::move(signed_cert), std::move(key)};
}

namespace {

// The leaf as istiod's genCertTemplateFromCSR + x509.CreateCertificate build it.
pki::Certificate build_workload_leaf(EVP_PKEY* public_key, std::string_view spiffe_id, std::chrono::seconds ttl,
                                     pki::Certificate const& ca_cert, pki::PrivateKey const& ca_key, Clock::time_point now) {
    pki::X509NamePtr empty_subject(X509_NAME_new());
    if (!empty_subject) {
        fail("creating a name");
    }
    auto cert = start_certificate({public_key, empty_subject.get(), now - clock_skew_grace,
                                   std::min(now + ttl, ca_cert.not_after())},
                                  ca_cert.get());
    add_plain_extensions(cert.get(), ca_cert.get(),
                         {{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                          {NID_ext_key_usage, "serverAuth,clientAuth"},
                          {NID_basic_constraints, "critical,CA:FALSE"}});
    add_key_identifiers(cert.get(), ca_cert.get());
    add_sans(cert.get(), {.uris = {std::string(spiffe_id)}, .dns = {}, .ips = {}, .critical = true});
    return sign_with(std::move(cert), ca_key);
}

}  // namespace

Result<pki::Certificate> CertificateAuthority::sign_workload(std::string_view csr_pem, std::string_view spiffe_id,
                                                             std::chrono::seconds ttl, Clock::time_point now) const {
    ERR_clear_error();
    // Like Go's pem.Decode: the first PEM block, whatever its label.
    pki::BioPtr bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
    char* label = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long der_length = 0;
    if (!bio || PEM_read_bio(bio.get(), &label, &header, &der, &der_length) != 1) {
        ERR_clear_error();
        return make_error("certificate signing request is not properly encoded");
    }
    OPENSSL_free(label);
    OPENSSL_free(header);
    unsigned char const* cursor = der;
    pki::X509ReqPtr request(d2i_X509_REQ(nullptr, &cursor, der_length));
    bool const whole = cursor == der + der_length;
    OPENSSL_free(der);
    if (!request || !whole) {
        ERR_clear_error();
        return make_error("failed to parse X.509 certificate signing request");
    }
    EVP_PKEY* public_key = X509_REQ_get0_pubkey(request.get());
    if (public_key == nullptr || X509_REQ_verify(request.get(), public_key) != 1) {
        ERR_clear_error();
        return make_error("failed to check CSR signature");
    }
    return build_workload_leaf(public_key, spiffe_id, ttl, cert_, key_, now);
}

pki::Certificate CertificateAuthority::sign_workload_for_key(pki::PrivateKey const& public_key_of,
                                                             std::string_view spiffe_id,
                                                             std::chrono::seconds ttl) const {
    return build_workload_leaf(public_key_of.get(), spiffe_id, ttl, cert_, key_, Clock::now());
}

void write_file_atomic(std::string const& path, std::string_view content, unsigned mode) {
    static std::atomic<unsigned> counter{0};
    std::string const temporary =
        path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    auto const error = [&](char const* what) {
        return std::system_error(errno, std::generic_category(), std::string(what) + " " + temporary);
    };
    int const fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) {
        throw error("creating");
    }
    std::size_t written = 0;
    while (written < content.size()) {
        ssize_t const n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            auto const e = error("writing");
            ::close(fd);
            ::unlink(temporary.c_str());
            throw e;
        }
        written += static_cast<std::size_t>(n);
    }
    // The umask must not narrow or widen what the caller asked for (0600 keys, 0644 certs).
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) {
        auto const e = error("finishing");
        ::close(fd);
        ::unlink(temporary.c_str());
        throw e;
    }
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        auto const e = std::system_error(errno, std::generic_category(), "renaming " + temporary + " to " + path);
        ::unlink(temporary.c_str());
        throw e;
    }
}

}  // namespace gic::emu
