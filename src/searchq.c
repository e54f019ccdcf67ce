/* searchq.c - not written yet */
typedef int searchq_stub_;
