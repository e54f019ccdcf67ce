/* A layering probe (tests/CMakeLists.txt): the corpus layer logging must not
 * compile.  Only the app layer logs; lower layers report through an Error. */
#include "log.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
