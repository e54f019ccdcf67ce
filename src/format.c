/* format.c - not written yet */
typedef int format_stub_;
