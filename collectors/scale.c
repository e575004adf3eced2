/* scale.c - raw * scale + offset.
 *
 * When 1/scale is an integer n (0.1, 0.01, 0.001 ...) the value is
 * raw / n + offset instead: 3 * 0.1 is 0.30000000000000004 in binary
 * floating point, 3 / 10.0 is the double nearest 0.3, which is what a
 * person reading the dashboard expects.
 */
#include "collectors/scale.h"

#include <math.h>

/* The exact reciprocal of the scale when it is an integer, else 0. */
static double reciprocal(double scale)
{
	if (scale == 0 || !isfinite(scale))
		return 0;
	double inv = 1.0 / scale;
	double n = round(inv);
	return n != 0 && fabs(inv - n) <= 1e-9 * fabs(n) ? n : 0;
}

double point_scale(const struct fm_point *p, double raw)
{
	double div = reciprocal(p->scale);
	return (div != 0 ? raw / div : raw * p->scale) + p->offset;
}

double point_unscale(const struct fm_point *p, double value)
{
	double div = reciprocal(p->scale);
	double v = value - p->offset;
	return div != 0 ? v * div : v / p->scale;
}
