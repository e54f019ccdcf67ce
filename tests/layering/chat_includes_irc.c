/* A layering probe (tests/CMakeLists.txt): the chat layer including the IRC layer
 * must not compile. */
#include "irc.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
