// OpenSSL's libcrypto, from the system (libssl-dev): used only through LibCryptoShim.
// SHA256_Init and friends are deprecated in OpenSSL 3 in favour of EVP, whose per-call fetch
// costs more than hashing a short record; they remain supported and SHA-NI accelerated.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/sha.h>
