#include "service_account_tokens.hpp"

#include "json_util.hpp"
#include "util/base64.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace gic::emu::kube {

namespace json = boost::json;

namespace {

std::string sha256(std::string_view data) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<unsigned char const*>(data.data()), data.size(), md);
    return std::string(reinterpret_cast<char const*>(md), sizeof md);
}

std::string rs256_sign(EVP_PKEY* key, std::string_view input) {
    pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        throw std::runtime_error("RS256 signing failed to start");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        throw std::runtime_error("RS256 signing failed");
    sig.resize(len);
    return sig;
}

bool rs256_verify(EVP_PKEY* key, std::string_view input, std::string_view sig) {
    pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                            reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
}

std::int64_t int_claim(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
    return 0;
}

}  // namespace

TokenSigner::TokenSigner(pki::PrivateKey key, std::string issuer) : key_(std::move(key)), issuer_(std::move(issuer)) {
    // The API server's key id: base64url(SHA-256(DER public key)).
    key_id_ = util::base64url_encode(sha256(key_.public_key_der()));
}

std::string TokenSigner::public_key_pem() const {
    pki::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) throw std::runtime_error("cannot write public key");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string TokenSigner::issue(TokenClaims claims, std::chrono::system_clock::time_point now,
                               std::chrono::seconds ttl) const {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    json::object payload;
    json::array aud;
    for (auto const& a : claims.audiences) aud.emplace_back(a);
    payload["aud"] = std::move(aud);
    payload["exp"] = secs + ttl.count();
    payload["iat"] = secs;
    payload["iss"] = issuer_;
    payload["jti"] = random_uuid();
    json::object k8s;
    k8s["namespace"] = claims.namespace_;
    if (claims.bound) {
        std::string key = claims.bound->kind == "Secret" ? "secret" : "pod";
        k8s[key] = json::object{{"name", claims.bound->name}, {"uid", claims.bound->uid}};
    }
    k8s["serviceaccount"] = json::object{{"name", claims.service_account}, {"uid", claims.service_account_uid}};
    payload["kubernetes.io"] = std::move(k8s);
    payload["nbf"] = secs;
    payload["sub"] = claims.subject();
    json::object header{{"alg", "RS256"}, {"kid", key_id_}};
    std::string input = util::base64url_encode(json::serialize(header)) + "." +
                        util::base64url_encode(json::serialize(payload));
    return input + "." + util::base64url_encode(rs256_sign(key_.get(), input));
}

Result<TokenClaims> TokenSigner::verify(std::string_view token, std::chrono::system_clock::time_point now) const {
    auto dot1 = token.find('.');
    auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return make_error("invalid bearer token");
    auto header_raw = util::base64url_decode(token.substr(0, dot1));
    auto payload_raw = util::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto sig = util::base64url_decode(token.substr(dot2 + 1));
    if (!header_raw || !payload_raw || !sig) return make_error("invalid bearer token");
    boost::system::error_code ec;
    auto header = json::parse(*header_raw, ec);
    if (ec || !header.is_object() || string_field(header.as_object(), "alg") != "RS256")
        return make_error("invalid bearer token");
    if (!rs256_verify(key_.get(), token.substr(0, dot2), *sig)) return make_error("invalid signature");
    auto payload = json::parse(*payload_raw, ec);
    if (ec || !payload.is_object()) return make_error("invalid bearer token");
    auto const& p = payload.as_object();
    if (string_field(p, "iss") != issuer_) return make_error("invalid issuer");
    TokenClaims c;
    c.issuer = issuer_;
    c.issued_at = int_claim(p, "iat");
    c.not_before = int_claim(p, "nbf");
    c.expires_at = int_claim(p, "exp");
    c.id = string_field(p, "jti");
    if (auto const* aud = p.if_contains("aud")) {
        if (aud->is_string()) c.audiences.emplace_back(aud->as_string());
        if (aud->is_array())
            for (auto const& a : aud->as_array())
                if (a.is_string()) c.audiences.emplace_back(a.as_string());
    }
    auto const* k8s = object_field(p, "kubernetes.io");
    auto const* sa = k8s ? object_field(*k8s, "serviceaccount") : nullptr;
    if (!k8s || !sa) return make_error("service account token claims are missing kubernetes.io");
    c.namespace_ = string_field(*k8s, "namespace");
    c.service_account = string_field(*sa, "name");
    c.service_account_uid = string_field(*sa, "uid");
    if (auto const* pod = object_field(*k8s, "pod"))
        c.bound = BoundObject{"Pod", string_field(*pod, "name"), string_field(*pod, "uid")};
    else if (auto const* secret = object_field(*k8s, "secret"))
        c.bound = BoundObject{"Secret", string_field(*secret, "name"), string_field(*secret, "uid")};
    if (string_field(p, "sub") != c.subject()) return make_error("sub claim does not match the service account");
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (c.expires_at != 0 && secs >= c.expires_at) return make_error("service account token has expired");
    if (c.not_before != 0 && secs < c.not_before) return make_error("service account token is not valid yet");
    return c;
}

}  // namespace gic::emu::kube
