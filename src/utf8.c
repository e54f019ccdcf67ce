/* utf8.c - not written yet */
typedef int utf8_stub_;
