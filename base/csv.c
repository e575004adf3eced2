/* csv.c - CSV fields for `facmon history --csv` and `facmon report
 * --format csv`: one quoting rule for both. */
#include "base/csv.h"

#include <string.h>

void csv_field(FILE *out, const char *text, bool last)
{
	if (strpbrk(text, ",\"\r\n")) {
		putc('"', out);
		for (const char *c = text; *c; c++) {
			if (*c == '"')
				putc('"', out);
			putc(*c, out);
		}
		putc('"', out);
	} else {
		fputs(text, out);
	}
	putc(last ? '\n' : ',', out);
}
