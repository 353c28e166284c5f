#pragma once
// Private keys generated once per test process and handed out again, for tests whose subject is
// not key generation: an RSA 2048 key costs 0.05 to 0.5 s of CPU on the 2-core machine, and a test
// executable that builds a fresh CA per case would otherwise spend most of its time there.

#include "pki/key.hpp"

#include <cstddef>

namespace gic::test {

// The `index`-th key of `algorithm` in this process: generated on first use, the same key on every
// later call. Distinct indexes give distinct keys. Thread-safe.
pki::PrivateKey reused_key(pki::KeyAlgorithm algorithm, std::size_t index = 0);

// Hands out reused keys 0, 1, 2... of one algorithm: one sequence per object that needs distinct
// keys (a CA's roots and intermediates), the same keys again for the next object.
class ReusedKeySequence {
public:
    explicit ReusedKeySequence(pki::KeyAlgorithm algorithm) : algorithm_(algorithm) {}
    pki::PrivateKey operator()() { return reused_key(algorithm_, next_++); }

private:
    pki::KeyAlgorithm algorithm_;
    std::size_t next_ = 0;
};

}  // namespace gic::test
