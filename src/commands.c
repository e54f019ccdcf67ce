/* commands.c - not written yet */
typedef int commands_stub_;
