/* A layering probe (tests/CMakeLists.txt): the corpus layer including the IRC layer
 * must not compile. */
#include "ircline.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
