// The emulator's protocol and kubectl tests: their cases run in child processes side by side
// (tests/common/sharded_main.hpp); most of a case is waiting on watches and timeouts.
#define BOOST_TEST_MODULE kube_emulator
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "common/sharded_main.hpp"

int main(int argc, char* argv[]) { return gic::test::sharded_test_main(argc, argv, &init_unit_test); }
