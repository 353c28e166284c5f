// Separate compilation of Asio: every other translation unit sees only declarations
// (BOOST_ASIO_SEPARATE_COMPILATION), which keeps the build lean.
#include <boost/asio/impl/src.hpp>
