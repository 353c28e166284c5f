// The integration executables' main: their cases run in child processes side by side
// (tests/common/sharded_main.hpp); most of a case is waiting on the agent and the emulators.
#define BOOST_TEST_MODULE integration
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "common/sharded_main.hpp"

int main(int argc, char* argv[]) { return gic::test::sharded_test_main(argc, argv, &init_unit_test); }
