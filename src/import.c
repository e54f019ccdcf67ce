/* import.c - not written yet */
typedef int import_stub_;
