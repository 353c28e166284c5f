#define BOOST_TEST_MODULE unit_istio
#include <boost/test/unit_test.hpp>
