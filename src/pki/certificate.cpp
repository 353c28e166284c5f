#include "pki/certificate.hpp"

#include "pki/openssl_error.hpp"
#include "util/time_bounds.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace gic::pki {
namespace {

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    long const length = BIO_get_mem_data(bio, &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

BioPtr memory_bio(std::string_view text) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) {
        throw std::bad_alloc();
    }
    return bio;
}

std::string to_hex(unsigned char const* bytes, std::size_t length) {
    static char const digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (std::size_t i = 0; i < length; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0x0f];
    }
    return out;
}

// ASN1_TIME is UTC; timegm (not mktime) keeps the local time zone out of it. Clamped (see
// util/time_bounds.hpp): GeneralizedTime reaches year 9999, past what system_clock can hold.
std::chrono::system_clock::time_point to_time_point(ASN1_TIME const* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
        detail::clear_openssl_errors();
        return {};
    }
    return util::time_from_unix_seconds(std::int64_t{timegm(&tm)});
}

std::string name_rfc2253(X509_NAME const* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
        detail::clear_openssl_errors();
        return {};
    }
    return bio_contents(bio.get());
}

// Calls `visit(GENERAL_NAME const*)` for each subjectAltName entry.
template <class Visit>
void for_each_san(X509* cert, Visit visit) {
    GeneralNamesPtr names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) {
        detail::clear_openssl_errors();
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        visit(sk_GENERAL_NAME_value(names.get(), i));
    }
}

std::vector<std::string> sans_of_type(X509* cert, int type) {
    std::vector<std::string> out;
    for_each_san(cert, [&](GENERAL_NAME const* name) {
        if (name->type != type) {
            return;
        }
        ASN1_IA5STRING const* text = type == GEN_URI ? name->d.uniformResourceIdentifier : name->d.dNSName;
        out.emplace_back(reinterpret_cast<char const*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
    });
    return out;
}

std::string ip_to_string(ASN1_OCTET_STRING const* address) {
    unsigned char const* bytes = ASN1_STRING_get0_data(address);
    int const length = ASN1_STRING_length(address);
    char text[INET6_ADDRSTRLEN] = {};
    int const family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : AF_UNSPEC;
    if (family == AF_UNSPEC || inet_ntop(family, bytes, text, sizeof text) == nullptr) {
        return "<invalid IP address of " + std::to_string(length) + " bytes>";
    }
    return text;
}

}  // namespace

Certificate::Certificate(Certificate const& other) : cert_(other.cert_.get()) {
    if (cert_) {
        X509_up_ref(cert_.get());
    }
}

Certificate& Certificate::operator=(Certificate const& other) {
    if (this != &other) {
        Certificate copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
    auto certs = parse_pem_bundle(pem);
    if (!certs) {
        return certs.error();
    }
    if (certs->size() != 1) {
        return make_error("expected one PEM certificate, found " + std::to_string(certs->size()));
    }
    return std::move(certs->front());
}

std::string Certificate::to_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
        throw std::runtime_error("writing a certificate as PEM failed: " + detail::take_openssl_error());
    }
    return bio_contents(bio.get());
}

std::vector<std::string> Certificate::uri_sans() const { return sans_of_type(cert_.get(), GEN_URI); }

std::vector<std::string> Certificate::dns_sans() const { return sans_of_type(cert_.get(), GEN_DNS); }

std::vector<std::string> Certificate::ip_sans() const {
    std::vector<std::string> out;
    for_each_san(cert_.get(), [&](GENERAL_NAME const* name) {
        if (name->type != GEN_IPADD) {
            return;
        }
        out.push_back(ip_to_string(name->d.iPAddress));
    });
    return out;
}

std::chrono::system_clock::time_point Certificate::not_before() const {
    return to_time_point(X509_get0_notBefore(cert_.get()));
}

std::chrono::system_clock::time_point Certificate::not_after() const {
    return to_time_point(X509_get0_notAfter(cert_.get()));
}

std::string Certificate::serial_hex() const {
    BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
    if (!serial) {
        detail::clear_openssl_errors();
        return {};
    }
    char* hex = BN_bn2hex(serial.get());
    std::string out(hex ? hex : "");
    OPENSSL_free(hex);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string Certificate::subject() const { return name_rfc2253(X509_get_subject_name(cert_.get())); }

std::string Certificate::issuer() const { return name_rfc2253(X509_get_issuer_name(cert_.get())); }

bool Certificate::is_ca() const { return (X509_get_extension_flags(cert_.get()) & EXFLAG_CA) != 0; }

bool Certificate::is_self_signed() const {
    X509* cert = cert_.get();
    if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0) {
        return false;
    }
    EVP_PKEY* own_key = X509_get0_pubkey(cert);
    bool const verifies = own_key != nullptr && X509_verify(cert, own_key) == 1;
    detail::clear_openssl_errors();
    return verifies;
}

bool Certificate::matches_key(PrivateKey const& key) const {
    EVP_PKEY* public_key = X509_get0_pubkey(cert_.get());
    bool const equal = public_key != nullptr && EVP_PKEY_eq(public_key, key.get()) == 1;
    detail::clear_openssl_errors();
    return equal;
}

std::string Certificate::fingerprint_sha256() const {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(cert_.get(), EVP_sha256(), digest, &length) != 1) {
        throw std::runtime_error("hashing a certificate failed: " + detail::take_openssl_error());
    }
    return to_hex(digest, length);
}

namespace {

// The DER encoding of `cert` equals `der`. A parsed certificate keeps its encoding, so this costs
// a copy and a comparison, not an encoding.
bool has_encoding(Certificate const& cert, unsigned char const* der, long length) {
    int const own_length = i2d_X509(cert.get(), nullptr);
    if (own_length != length) {
        return false;
    }
    std::vector<unsigned char> own(static_cast<std::size_t>(own_length));
    unsigned char* out = own.data();
    return i2d_X509(cert.get(), &out) == own_length && std::equal(own.begin(), own.end(), der);
}

struct PemDataFree {
    void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

// The next CERTIFICATE block of `bio` as PEM_read_bio_X509 reads it (the same block names, the
// same errors on the error queue), or one of `known` when the block encodes it. Null at the end
// of the input or on an error, which the queue then describes.
std::optional<Certificate> read_certificate(BIO* bio, std::span<Certificate const> known) {
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_bytes_read_bio(&data, &length, nullptr, PEM_STRING_X509, bio, nullptr, nullptr) != 1) {
        return std::nullopt;
    }
    std::unique_ptr<unsigned char, PemDataFree> const owned(data);
    for (auto const& cert : known) {
        if (has_encoding(cert, data, length)) {
            return cert;
        }
    }
    unsigned char const* cursor = data;
    X509Ptr cert(d2i_X509(nullptr, &cursor, length));
    if (!cert) {
        ERR_raise(ERR_LIB_PEM, ERR_R_ASN1_LIB);  // as PEM_ASN1_read_bio reports it
        return std::nullopt;
    }
    return Certificate::adopt(std::move(cert));
}

bool at_end_of_input() {
    // PEM_R_NO_START_LINE is how OpenSSL says "no further CERTIFICATE block": the normal end.
    unsigned long const code = ERR_peek_last_error();
    return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

Error block_error(std::size_t position) {
    return make_error("PEM certificate #" + std::to_string(position) + " does not parse", detail::take_openssl_error());
}

}  // namespace

Result<std::vector<Certificate>> parse_pem_bundle(std::string_view pem) { return parse_pem_bundle(pem, {}); }

Result<std::vector<Certificate>> parse_pem_bundle(std::string_view pem, std::span<Certificate const> known) {
    detail::clear_openssl_errors();
    auto bio = memory_bio(pem);
    std::vector<Certificate> certs;
    while (true) {
        if (auto cert = read_certificate(bio.get(), known)) {
            certs.push_back(std::move(*cert));
            continue;
        }
        if (at_end_of_input()) {
            detail::clear_openssl_errors();
            break;
        }
        return block_error(certs.size() + 1);
    }
    if (certs.empty()) {
        return make_error("no PEM certificate found");
    }
    return certs;
}

Result<Certificate> parse_first_pem_certificate(std::string_view pem) {
    detail::clear_openssl_errors();
    auto bio = memory_bio(pem);
    if (auto cert = read_certificate(bio.get(), {})) {
        return std::move(*cert);
    }
    if (at_end_of_input()) {
        detail::clear_openssl_errors();
        return make_error("no PEM certificate found");
    }
    return block_error(1);
}

std::string to_pem_bundle(std::vector<Certificate> const& certs) {
    std::string out;
    for (auto const& cert : certs) {
        out += cert.to_pem();
    }
    return out;
}

}  // namespace gic::pki
