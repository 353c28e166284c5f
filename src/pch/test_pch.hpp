// Precompiled header of the unit, emulator and integration test executables (meson cpp_pch, see
// meson.build "Precompiled headers"). Boost.Test's unit_test.hpp is not here: it reads
// BOOST_TEST_MODULE, which each test's main.cpp defines before including it; its assertion
// machinery (test_tools.hpp) does not.
#ifndef GIC_PCH_TEST_PCH_HPP
#define GIC_PCH_TEST_PCH_HPP

#include "asio_pch.hpp"

#include <boost/test/test_tools.hpp>

#endif  // GIC_PCH_TEST_PCH_HPP
