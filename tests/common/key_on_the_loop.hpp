#pragma once
// Key generation on the loop thread, for tests in virtual time and the fault simulator: on a
// worker thread it would finish at a real-time moment, so a run would depend on the machine.

#include "pki/key.hpp"

#include <boost/asio/awaitable.hpp>

namespace gic::testing {

inline boost::asio::awaitable<pki::PrivateKey> generate_key_on_the_loop(pki::KeyAlgorithm algorithm) {
    co_return pki::PrivateKey::generate(algorithm);
}

}  // namespace gic::testing
