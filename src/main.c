/* tboard: flags and wiring only. */
#include <stdio.h>

int main(void)
{
	puts("tboard");
	return 0;
}
