/* corpus.c - not written yet */
typedef int corpus_stub_;
