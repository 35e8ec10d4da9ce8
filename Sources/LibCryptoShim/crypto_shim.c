#include "crypto_shim.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>

void bb_sha256_prefixed(uint8_t prefix, const void *a, size_t a_len, const void *b, size_t b_len, uint8_t out[32]) {
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, &prefix, 1);
    if (a_len) SHA256_Update(&context, a, a_len);
    if (b_len) SHA256_Update(&context, b, b_len);
    SHA256_Final(out, &context);
}

void bb_sha256_plain(const void *a, size_t a_len, uint8_t out[32]) {
    SHA256_CTX context;
    SHA256_Init(&context);
    if (a_len) SHA256_Update(&context, a, a_len);
    SHA256_Final(out, &context);
}

// One ChaCha20-Poly1305 context per thread, set up once: in OpenSSL 3 setting up a context
// (fetching the cipher from its provider) costs more than sealing a short section, while
// re-keying a set-up context is cheap. Freed when its thread ends.
static pthread_key_t chacha_key;
static pthread_once_t chacha_once = PTHREAD_ONCE_INIT;
static void chacha_free(void *context) { EVP_CIPHER_CTX_free((EVP_CIPHER_CTX *)context); }
static void chacha_make_key(void) { pthread_key_create(&chacha_key, chacha_free); }

static EVP_CIPHER_CTX *chacha_context(void) {
    pthread_once(&chacha_once, chacha_make_key);
    EVP_CIPHER_CTX *context = (EVP_CIPHER_CTX *)pthread_getspecific(chacha_key);
    if (context) return context;
    context = EVP_CIPHER_CTX_new();
    if (!context) return NULL;
    if (EVP_EncryptInit_ex(context, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1
        || pthread_setspecific(chacha_key, context) != 0) {
        EVP_CIPHER_CTX_free(context);
        return NULL;
    }
    return context;
}

int bb_chacha20_poly1305_seal(const uint8_t key[32], const uint8_t nonce[12],
                              const void *aad1, size_t aad1_len, const void *aad2, size_t aad2_len,
                              const void *message, size_t message_len, uint8_t *out) {
    if (aad1_len > INT32_MAX || aad2_len > INT32_MAX || message_len > INT32_MAX) return 0;
    EVP_CIPHER_CTX *context = chacha_context();
    if (!context) return 0;
    int n = 0;
    return EVP_EncryptInit_ex(context, NULL, NULL, key, nonce) == 1
        && (aad1_len == 0 || EVP_EncryptUpdate(context, NULL, &n, aad1, (int)aad1_len) == 1)
        && (aad2_len == 0 || EVP_EncryptUpdate(context, NULL, &n, aad2, (int)aad2_len) == 1)
        && (message_len == 0 || EVP_EncryptUpdate(context, out, &n, message, (int)message_len) == 1)
        && EVP_EncryptFinal_ex(context, out + message_len, &n) == 1
        && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, out + message_len) == 1;
}
