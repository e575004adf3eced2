/* report.h - `facmon report`: what the command writes (report.c).
 *
 * Owns: the command's options once main.c has parsed them, and its exit
 * status. report/ owns the report itself.
 */
#ifndef FACMON_AGENT_REPORT_H
#define FACMON_AGENT_REPORT_H

#include "config/config.h"

enum report_format { REPORT_HTML, REPORT_CSV, REPORT_JSON };

struct report_opts {
	int year, month;
	enum report_format format;
	const char *output;  /* a file; NULL: stdout */
};

/* "html", "csv", "json" into its format; -1 for another name. */
int report_format_from_name(const char *name);

/* Writes the report of O's month of CFG's store. Returns the exit status:
 * 0 written (a broken chain is a finding the report shows, and is said on
 * stderr too); 1 when the database is missing or unreadable, or the
 * output could not be written. */
int report_write(const struct fm_config *cfg, const struct report_opts *o);

#endif
