/* csv.h - writing CSV fields as RFC 4180 wants them (csv.c). */
#ifndef FACMON_CSV_H
#define FACMON_CSV_H

#include <stdbool.h>
#include <stdio.h>

/* Writes TEXT to OUT as one field, quoted when it holds a comma, a quote
 * or a line break (quotes doubled), then a comma, or a line break when it
 * is the LAST of its row. */
void csv_field(FILE *out, const char *text, bool last);

#endif
