/* parse.c - not written yet */
typedef int parse_stub_;
