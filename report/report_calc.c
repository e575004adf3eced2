/* report_calc.c - the stored events, one at a time, into the report.
 *
 * Owns: the dispatch of each event document by its type to the part of
 * the computation it concerns (alert transitions and acknowledgements,
 * silences, the agent's starts and stops, config reloads, store resets;
 * facmon.clock's transitions go to the clock as well as to the alerts),
 * and the shared helpers of report_private.h. Pure: documents in, figures
 * out; tests feed it JSON text.
 */
#include "report/report_private.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

void report_calc_init(struct report_calc *c, struct report *r, int64_t from_ms,
                      int64_t until_ms)
{
	*c = (struct report_calc){.r = r, .from_ms = from_ms, .until_ms = until_ms};
}

int report_calc_event(struct report_calc *c, const char *doc)
{
	cJSON *ev = cJSON_Parse(doc);
	int64_t ts = report_time_of(ev, "ts");
	const char *type = report_text(ev, "type");
	if (!cJSON_IsObject(ev) || ts == 0 || !type[0]) {
		cJSON_Delete(ev);
		return -1;
	}
	if (!c->r->history_from_ms)
		c->r->history_from_ms = ts;
	if (ts >= c->from_ms && ts < c->until_ms)
		c->r->events++;
	if (strcmp(type, "transition") == 0) {
		report_alert_transition(c, ev, ts);
		if (strcmp(report_text(ev, "rule"), "facmon.clock") == 0)
			report_clock_transition(c, ev, ts);
	} else if (strcmp(type, "ack") == 0) {
		report_alert_ack(c, ev, ts);
	} else if (strcmp(type, "silence") == 0) {
		report_silence_event(c, ev, ts);
	} else if (strcmp(type, "agent") == 0) {
		report_agent_event(c, ev, ts);
	} else if (strcmp(type, "config") == 0) {
		report_config_event(c, ev, ts);
	} else if (strcmp(type, "store") == 0) {
		report_reset_event(c, ev, ts);
	}
	cJSON_Delete(ev);
	return 0;
}

void report_calc_after(struct report_calc *c, const char *doc)
{
	cJSON *ev = cJSON_Parse(doc);
	int64_t ts = report_time_of(ev, "ts");
	if (ts && strcmp(report_text(ev, "type"), "agent") == 0)
		report_agent_after(c, ev, ts);
	cJSON_Delete(ev);
}

int report_calc_finish(struct report_calc *c)
{
	report_alerts_finish(c);
	report_agent_finish(c);
	free(c->open);
	c->open = NULL;
	c->nopen = c->cap_open = 0;
	return c->failed ? -1 : 0;
}

/* ---- helpers ---- */

/* ITEMS points at the caller's array pointer (of any object type, whose
 * representation a void pointer shares): read and written by memcpy. */
void *report_push(void *items, size_t *n, size_t *cap, size_t size)
{
	char *arr;
	memcpy(&arr, items, sizeof arr);
	if (*n == *cap) {
		size_t more = *cap ? *cap * 2 : 8;
		char *grown = realloc(arr, more * size);
		if (!grown)
			return NULL;
		arr = grown;
		memcpy(items, &arr, sizeof arr);
		*cap = more;
	}
	char *item = arr + (*n)++ * size;
	memset(item, 0, size);
	return item;
}

const char *report_text(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

double report_number(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int64_t report_time_of(const cJSON *o, const char *key)
{
	int64_t ms;
	return clock_parse_iso8601(report_text(o, key), &ms) == 0 ? ms : 0;
}
