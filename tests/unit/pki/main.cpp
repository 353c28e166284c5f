#define BOOST_TEST_MODULE unit_pki
#include <boost/test/unit_test.hpp>
