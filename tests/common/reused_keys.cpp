#include "common/reused_keys.hpp"

#include <map>
#include <mutex>
#include <vector>

namespace gic::test {

pki::PrivateKey reused_key(pki::KeyAlgorithm algorithm, std::size_t index) {
    static std::mutex mutex;
    static std::map<pki::KeyAlgorithm, std::vector<pki::PrivateKey>> keys;
    std::lock_guard lock(mutex);
    auto& generated = keys[algorithm];
    while (generated.size() <= index) generated.push_back(pki::PrivateKey::generate(algorithm));
    return generated[index];  // a copy shares the key, which OpenSSL reference-counts
}

}  // namespace gic::test
