#define BOOST_TEST_MODULE kube_emulator_unit
#include <boost/test/unit_test.hpp>
