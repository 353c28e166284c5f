#include "pki/csr.hpp"

#include "pki/openssl_error.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace gic::pki {
namespace {

// SPIFFE trust domains are lower-case letters, digits, '.', '-' and '_'.
bool is_trust_domain_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

// SPIFFE path segments additionally allow upper-case letters.
bool is_path_segment_char(char c) { return is_trust_domain_char(c) || (c >= 'A' && c <= 'Z'); }

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        auto const end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

Error spiffe_error(std::string_view uri, std::string const& problem) {
    return make_error("invalid SPIFFE identity \"" + std::string(uri) + "\"",
                      problem + " (expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)");
}

Result<void> check_segment(std::string_view uri, std::string_view segment, char const* what) {
    if (segment.empty()) {
        return spiffe_error(uri, std::string(what) + " is empty");
    }
    if (segment == "." || segment == "..") {
        return spiffe_error(uri, std::string(what) + " is a dot segment");
    }
    for (char c : segment) {
        if (!is_path_segment_char(c)) {
            return spiffe_error(uri, std::string(what) + " contains '" + std::string(1, c) + "'");
        }
    }
    return {};
}

struct ExtensionsDeleter {
    void operator()(STACK_OF(X509_EXTENSION) * p) const noexcept { sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free); }
};
using ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionsDeleter>;

[[noreturn]] void fail(char const* step) {
    throw std::runtime_error(std::string("building the CSR failed while ") + step + ": " +
                             detail::take_openssl_error());
}

struct EncodedPointFree {
    void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};

// An EC key's SubjectPublicKeyInfo is the curve's name and the encoded point, set here directly:
// X509_REQ_set_pubkey has OpenSSL 3.0 encode the key through its encoder framework and decode
// the result back (about 4.9 million instructions for a P-256 key, a tenth of --once). The
// fields are the ones that path writes (id-ecPublicKey, the named curve, the point as the key
// holds it); RSA keys and anything unexpected take that path.
bool set_ec_public_key(X509_REQ* request, PrivateKey const& key) {
    if (EVP_PKEY_is_a(key.get(), "EC") != 1) {
        return false;
    }
    char group[64] = {};
    std::size_t group_length = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_length) != 1) {
        return false;
    }
    int const curve = OBJ_sn2nid(group);
    std::size_t point_length = 0;
    if (curve == NID_undef ||
        EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &point_length) != 1) {
        return false;
    }
    std::unique_ptr<unsigned char, EncodedPointFree> point(static_cast<unsigned char*>(OPENSSL_malloc(point_length)));
    if (!point || EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.get(),
                                                  point_length, &point_length) != 1) {
        return false;
    }
    X509_PUBKEY* spki = X509_REQ_get_X509_PUBKEY(request);
    if (spki == nullptr || X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                                                  OBJ_nid2obj(curve), point.get(), static_cast<int>(point_length)) != 1) {
        return false;
    }
    point.release();  // owned by the request now
    return true;
}

bool set_public_key(X509_REQ* request, PrivateKey const& key) {
    if (set_ec_public_key(request, key)) {
        return true;
    }
    detail::clear_openssl_errors();
    return X509_REQ_set_pubkey(request, key.get()) == 1;
}

}  // namespace

Result<void> validate_spiffe_id(std::string_view uri) {
    constexpr std::string_view scheme = "spiffe://";
    if (uri.substr(0, scheme.size()) != scheme) {
        return spiffe_error(uri, "it does not start with spiffe://");
    }
    auto const rest = uri.substr(scheme.size());
    auto const slash = rest.find('/');
    auto const trust_domain = rest.substr(0, slash);
    if (trust_domain.empty()) {
        return spiffe_error(uri, "the trust domain is empty");
    }
    for (char c : trust_domain) {
        if (!is_trust_domain_char(c)) {
            return spiffe_error(uri, "the trust domain contains '" + std::string(1, c) + "'");
        }
    }
    if (slash == std::string_view::npos) {
        return spiffe_error(uri, "the path is missing");
    }
    auto const segments = split(rest.substr(slash + 1), '/');
    if (segments.size() != 4 || segments[0] != "ns" || segments[2] != "sa") {
        return spiffe_error(uri, "the path is not /ns/<namespace>/sa/<service-account>");
    }
    if (auto r = check_segment(uri, segments[1], "the namespace"); !r) {
        return r;
    }
    return check_segment(uri, segments[3], "the service account");
}

Result<std::string> make_csr_pem(PrivateKey const& key, std::string_view spiffe_uri) {
    if (auto valid = validate_spiffe_id(spiffe_uri); !valid) {
        return valid.error();
    }
    detail::clear_openssl_errors();

    X509ReqPtr request(X509_REQ_new());
    if (!request || X509_REQ_set_version(request.get(), 0) != 1) {
        fail("creating the request");
    }

    // Go's crypto/x509 writes Organization = [""] as one O RDN holding an empty PrintableString.
    // X509_NAME_add_entry_by_NID with a plain ASN.1 type skips the minimum-length table that
    // would refuse an empty organisation.
    X509NamePtr subject(X509_NAME_new());
    static unsigned char const empty[] = "";
    if (!subject ||
        X509_NAME_add_entry_by_NID(subject.get(), NID_organizationName, V_ASN1_PRINTABLESTRING, empty, 0, -1, 0) != 1 ||
        X509_REQ_set_subject_name(request.get(), subject.get()) != 1) {
        fail("setting the subject");
    }

    GeneralNamesPtr names(GENERAL_NAMES_new());
    GENERAL_NAME* uri_name = GENERAL_NAME_new();
    ASN1_IA5STRING* uri = ASN1_IA5STRING_new();
    if (!names || !uri_name || !uri ||
        ASN1_STRING_set(uri, spiffe_uri.data(), static_cast<int>(spiffe_uri.size())) != 1) {
        GENERAL_NAME_free(uri_name);
        ASN1_IA5STRING_free(uri);
        fail("encoding the URI SAN");
    }
    GENERAL_NAME_set0_value(uri_name, GEN_URI, uri);
    if (sk_GENERAL_NAME_push(names.get(), uri_name) == 0) {
        GENERAL_NAME_free(uri_name);
        fail("encoding the URI SAN");
    }

    // Critical because the subject is empty (RFC 5280 section 4.2.1.6), as Istio marks it.
    ExtensionsPtr extensions(sk_X509_EXTENSION_new_null());
    X509_EXTENSION* san = X509V3_EXT_i2d(NID_subject_alt_name, 1, names.get());
    if (!extensions || !san) {
        X509_EXTENSION_free(san);
        fail("encoding the subjectAltName extension");
    }
    if (sk_X509_EXTENSION_push(extensions.get(), san) == 0) {
        X509_EXTENSION_free(san);
        fail("encoding the subjectAltName extension");
    }
    if (X509_REQ_add_extensions(request.get(), extensions.get()) != 1) {
        fail("adding the extension request");
    }

    if (!set_public_key(request.get(), key)) {
        fail("setting the public key");
    }
    if (X509_REQ_sign(request.get(), key.get(), key.signature_digest()) <= 0) {
        fail("signing");
    }

    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_REQ(bio.get(), request.get()) != 1) {
        fail("writing PEM");
    }
    char* data = nullptr;
    long const length = BIO_get_mem_data(bio.get(), &data);
    // Explicit: std::string also converts to gic::Error, so the value needs naming.
    return Result<std::string>(boost::system::in_place_value, data, static_cast<std::size_t>(length));
}

}  // namespace gic::pki
