/* base64.h - standard base64 (RFC 4648, with padding), for SASL PLAIN.
 *
 * Small enough to own: the one call it replaces (OpenSSL's EVP_EncodeBlock)
 * would otherwise make every bot load libcrypto.
 */
#ifndef MISSIVE_BASE64_H
#define MISSIVE_BASE64_H

#include <stddef.h>

/* Bytes base64_encode writes for n input bytes, its NUL included. */
#define BASE64_SIZE(n) (((n) + 2) / 3 * 4 + 1)

/* Encodes n bytes of in into out as a NUL-terminated string; returns its
 * length, or 0 with out = "" when outsz < BASE64_SIZE(n). */
size_t base64_encode(const void *in, size_t n, char *out, size_t outsz);

#endif
