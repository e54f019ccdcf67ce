/* console.c - not written yet */
typedef int console_stub_;
