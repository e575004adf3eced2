/* probe.h - `facmon probe`: read one device ad hoc, for commissioning. */
#ifndef FACMON_PROBE_H
#define FACMON_PROBE_H

/* ARGV[0] is "probe". Returns the exit status: 0 answered, 3 no answer,
 * 2 usage error. */
int probe_main(int argc, char **argv);

#endif
