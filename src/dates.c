/* dates.c - not written yet */
typedef int dates_stub_;
