#include "pki/chain.hpp"

#include "pki/openssl_error.hpp"

#include <openssl/x509_vfy.h>

#include <ctime>
#include <stdexcept>

namespace gic::pki {
namespace {

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string quoted_list(std::vector<std::string> const& items) {
    std::string out;
    for (auto const& item : items) {
        if (!out.empty()) {
            out += ", ";
        }
        out += quoted(item);
    }
    return out;
}

Result<void> check_identity(Certificate const& leaf, std::string_view expected) {
    auto const uris = leaf.uri_sans();
    if (uris.empty()) {
        return make_error("leaf has no URI SAN, expected " + quoted(expected));
    }
    if (uris.size() > 1) {
        return make_error("leaf has " + std::to_string(uris.size()) + " URI SANs (" + quoted_list(uris) +
                          "), expected exactly " + quoted(expected));
    }
    if (uris.front() != expected) {
        return make_error("leaf identity is " + quoted(uris.front()) + ", expected " + quoted(expected));
    }
    return {};
}

}  // namespace

Result<IssuedChain> split_ca_response(std::vector<std::string> const& elements, std::span<Certificate const> known) {
    if (elements.size() < 2) {
        return make_error("invalid empty CertChain (the CA returned " + std::to_string(elements.size()) +
                          (elements.size() == 1 ? " element)" : " elements)"));
    }
    IssuedChain issued;
    std::size_t const root_index = elements.size() - 1;
    for (std::size_t i = 0; i < root_index; ++i) {
        auto certs = parse_pem_bundle(elements[i], known);
        if (!certs) {
            return wrap_error("CA response cert_chain[" + std::to_string(i) + "]", certs.error());
        }
        for (auto& cert : *certs) {
            // The leaf is always kept; after it, roots repeated before the root bundle (plugged
            // cacerts give [leaf, intermediate, root, root]) do not belong in tls.crt.
            if (!issued.chain.empty() && cert.is_self_signed()) {
                continue;
            }
            issued.chain.push_back(std::move(cert));
        }
    }
    auto roots = parse_pem_bundle(elements[root_index], known);
    if (!roots) {
        return wrap_error("CA response cert_chain[" + std::to_string(root_index) + "] (the root bundle)",
                          roots.error());
    }
    issued.roots = std::move(*roots);
    return issued;
}

Result<void> verify_chain(std::vector<Certificate> const& chain, std::vector<Certificate> const& trusted_roots,
                          std::chrono::system_clock::time_point at) {
    constexpr char const* context = "certificate chain does not verify against the root bundle";
    if (chain.empty()) {
        return make_error(context, "the chain is empty");
    }
    if (trusted_roots.empty()) {
        return make_error(context, "the root bundle is empty");
    }
    detail::clear_openssl_errors();
    X509StorePtr store(X509_STORE_new());
    X509StackPtr untrusted(sk_X509_new_null());
    X509StoreCtxPtr context_handle(X509_STORE_CTX_new());
    if (!store || !untrusted || !context_handle) {
        throw std::bad_alloc();
    }
    for (auto const& root : trusted_roots) {
        if (X509_STORE_add_cert(store.get(), root.get()) != 1) {
            // Adding the same root twice is harmless ("cert already in hash table" is not
            // reported as an error by OpenSSL 3, but stay tolerant of older behaviour).
            detail::clear_openssl_errors();
        }
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
        if (sk_X509_push(untrusted.get(), chain[i].get()) == 0) {
            throw std::bad_alloc();
        }
    }
    if (X509_STORE_CTX_init(context_handle.get(), store.get(), chain.front().get(), untrusted.get()) != 1) {
        return make_error(context, detail::take_openssl_error());
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context_handle.get()),
                               std::chrono::system_clock::to_time_t(at));
    if (X509_verify_cert(context_handle.get()) == 1) {
        detail::clear_openssl_errors();
        return {};
    }
    int const code = X509_STORE_CTX_get_error(context_handle.get());
    int const depth = X509_STORE_CTX_get_error_depth(context_handle.get());
    detail::clear_openssl_errors();
    return make_error(context, std::string(X509_verify_cert_error_string(code)) + " at depth " + std::to_string(depth));
}

Result<void> validate_issued(IssuedChain const& issued, PrivateKey const& key, std::string_view expected_spiffe_id,
                             std::vector<Certificate> const& trusted_roots, std::chrono::system_clock::time_point now) {
    if (issued.chain.empty()) {
        return make_error("the issued chain holds no leaf certificate");
    }
    if (auto identity = check_identity(issued.leaf(), expected_spiffe_id); !identity) {
        return identity;
    }
    if (!issued.leaf().matches_key(key)) {
        return make_error("leaf public key does not match the generated key");
    }
    return verify_chain(issued.chain, trusted_roots, now);
}

}  // namespace gic::pki
