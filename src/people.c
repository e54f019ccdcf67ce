/* people.c - not written yet */
typedef int people_stub_;
