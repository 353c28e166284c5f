#pragma once
// main() for a Boost.Test executable whose cases mostly wait (on emulators, agents, timers): it runs
// the cases in a few child processes of itself side by side, so that one meson test slot holds
// several waiting cases instead of one. Each case already starts its own emulators on ports the
// kernel chooses, in its own temporary directory, so cases do not see each other.
//
// The parent lists the cases (--list_content), deals them round-robin to GIC_TEST_SHARDS children
// (default 2; 1 runs everything in this process, as before) that run them with --run_test, prints
// each child's output in turn and exits with the first failing child's status (0 when all pass).
// Given --run_test, --list_content or any argument it does not know, it runs in this process: a
// case chosen by hand runs as it always did.

#include <boost/test/unit_test.hpp>

namespace gic::test {

int sharded_test_main(int argc, char* argv[], boost::unit_test::init_unit_test_func init);

}  // namespace gic::test
