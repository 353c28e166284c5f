// Separate compilation of Asio's SSL layer (see asio_impl.cpp).
#include <boost/asio/ssl/impl/src.hpp>
