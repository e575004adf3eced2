/* probe.h - `facmon probe`: read one device ad hoc, for commissioning.
 *
 * Folder probe/ owns `facmon probe`, the commissioning tool (probe*.c),
 * and why a read failed and what to try (explain.c, shared with `facmon
 * once`). The daemon never runs it. Uses collectors/, config/ and
 * base/.
 */
#ifndef FACMON_PROBE_H
#define FACMON_PROBE_H

/* ARGV[0] is "probe". Returns the exit status: 0 answered, 3 no answer,
 * 2 usage error. */
int probe_main(int argc, char **argv);

#endif
