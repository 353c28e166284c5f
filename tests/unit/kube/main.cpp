#define BOOST_TEST_MODULE unit_kube
#include <boost/test/unit_test.hpp>
