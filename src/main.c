#include <stdio.h>
int main(void) { puts("missive"); return 0; }
