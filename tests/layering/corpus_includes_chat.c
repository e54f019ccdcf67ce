/* A layering probe (tests/CMakeLists.txt): the corpus layer including the chat layer
 * must not compile. */
#include "commands.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
