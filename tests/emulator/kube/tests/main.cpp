#define BOOST_TEST_MODULE kube_emulator
#include <boost/test/unit_test.hpp>
