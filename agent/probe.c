/* probe.c - `facmon probe` (being written). */
#include <stdio.h>

#include "agent/probe.h"

int probe_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "facmon probe: not implemented yet\n");
	return 2;
}
