/* point_enum.c - the names a point's enum gives its integer values. */
#include <math.h>

#include "config/config.h"

const char *point_enum_name(const struct fm_point *p, double value)
{
	if (!isfinite(value) || value != floor(value))
		return NULL;
	for (size_t i = 0; i < p->nenums; i++)
		if (p->enums[i].value == (int)value)
			return p->enums[i].name;
	return NULL;
}
