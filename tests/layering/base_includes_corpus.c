/* A layering probe (tests/CMakeLists.txt): base including the corpus layer
 * must not compile. */
#include "corpus.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
