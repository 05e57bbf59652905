/* pslab command line: run, platform, plot. */
#include <stdio.h>
int main(void) { puts("pslab: under construction"); return 0; }
