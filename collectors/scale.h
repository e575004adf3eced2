/* scale.h - a point's engineering value from its raw number, and back.
 *
 * Owns: value = raw * scale + offset for every kind of collector, with the
 * care that makes 3 * 0.1 print as 0.3 (see scale.c). Pure.
 */
#ifndef FACMON_SCALE_H
#define FACMON_SCALE_H

#include "config/config.h"

double point_scale(const struct fm_point *p, double raw);
/* The raw number an engineering value means: the inverse of point_scale. */
double point_unscale(const struct fm_point *p, double value);

#endif
