#define BOOST_TEST_MODULE unit_election
#include <boost/test/unit_test.hpp>
