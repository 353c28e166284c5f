#pragma once
// Certificates and keys for one workload identity: key generation, the CSR pilot-agent sends,
// PEM bundle parsing and validation of what the CA returns. Knows nothing about the network.
//
// Split into: handles.hpp (OpenSSL RAII), key.{hpp,cpp}, csr.{hpp,cpp}, certificate.{hpp,cpp},
// chain.{hpp,cpp}. This header includes them all.

#include "pki/certificate.hpp"
#include "pki/chain.hpp"
#include "pki/csr.hpp"
#include "pki/key.hpp"
