/* A layering probe (tests/CMakeLists.txt): the chat layer calling
 * libircclient must not link.  Debian puts libircclient.h in /usr/include,
 * where any file can include it, so for this library the rule is kept at
 * link time: nothing below the IRC layer links libircclient. */
typedef struct irc_session_s irc_session_t;
void irc_destroy_session(irc_session_t *session);

int main(void)
{
    irc_destroy_session(0);
    return 0;
}
