/* casefold.c - RFC 1459 case mapping; see casefold.h. */
#include "casefold.h"

char casefold_char(char c)
{
    /* 'A'..'^' is A-Z followed by [ \ ] ^; +32 maps them onto a-z { | } ~. */
    return (c >= 'A' && c <= '^') ? (char)(c + ('a' - 'A')) : c;
}

char *casefold_str(char *s)
{
    for (char *p = s; *p; p++) *p = casefold_char(*p);
    return s;
}

int casefold_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)casefold_char(*a);
        unsigned char cb = (unsigned char)casefold_char(*b);
        if (ca != cb || ca == '\0')
            return ca - cb;
    }
}
