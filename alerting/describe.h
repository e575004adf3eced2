/* describe.h - a rule alert's condition in words (describe.c). */
#ifndef FACMON_DESCRIBE_H
#define FACMON_DESCRIBE_H

#include <stddef.h>

#include "alerting/engine.h"

/* Rule alert A's condition into BUF: "> 30 (clear < 28)"; an all/any
 * rule names each point: "crac1.supply_temp rises 2 within 300 s AND
 * crac1.run == off". */
void eng_alert_condition_text(const struct eng_alert *a, char *buf, size_t len);

#endif
