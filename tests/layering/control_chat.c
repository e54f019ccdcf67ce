/* A layering probe (tests/CMakeLists.txt), the control: the chat layer may
 * include itself, the corpus layer and base, so this must compile. */
#include "commands.h"
#include "corpus.h"
#include "utf8.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
