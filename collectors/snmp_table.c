/* snmp_table.c - walked table columns (`rows = "all"`) of SNMP devices.
 *
 * Owns: finding the rows of a column at run time and keeping each in a
 * slot. Every poll walks the column (GETBULK on v2c/v3, GETNEXT on v1),
 * and its name column when it has one; when the poll is complete the rows
 * found are matched to slots and written into the result. A slot keeps
 * its row, and its row name, for the life of the collector, so the alerts
 * named after a row are stable: a row that vanishes (a sensor unplugged)
 * leaves its slot ABSENT, a known name found at another index (the sensor
 * moved to another port) takes its slot back, a new row takes a free slot.
 *
 * A row is named after the name column's text, reduced to [a-z0-9_]
 * ("Rack 3 Top" -> "rack_3_top"), or by its index ("0", "1_2") when there
 * is no name column, the text leaves nothing, or another row has the name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snmp_private.h"

/* Rows a walk collects beyond the slots before it stops: enough to tell
 * how many rows did not fit, bounded against an agent that never ends. */
#define EXTRA_ROWS 16
/* Rows asked for per GETBULK. */
#define BULK_REPETITIONS 16

/* Whether point P starts a walked column's slots: its first slot, or the
 * first of fewer (`facmon probe` polls a point alone). */
static bool starts_table(const struct fm_point *points, size_t p)
{
	return points[p].nslots &&
	       (points[p].slot == 1 || p == 0 || !points[p - 1].nslots ||
	        strcmp(points[p - 1].name, points[p].name) != 0);
}

/* The table of the slots from point FIRST of the NPOINTS in POINTS. */
static int table_init(struct snmp_table *t, const struct fm_point *points, size_t npoints,
                      size_t first)
{
	const struct fm_point *p = &points[first];
	t->first = first;
	t->nslots = 1;
	while (first + t->nslots < npoints && !starts_table(points, first + t->nslots) &&
	       points[first + t->nslots].nslots)
		t->nslots++;
	t->column_len = MAX_OID_LEN;
	t->names_len = MAX_OID_LEN;
	if (snmpc_parse_oid(p->oid, t->column, &t->column_len) < 0)
		return -1;
	if (p->row_names_oid &&
	    snmpc_parse_oid(p->row_names_oid, t->names, &t->names_len) < 0)
		return -1;
	if (!p->row_names_oid)
		t->names_len = 0;
	t->cap = t->nslots + EXTRA_ROWS;
	t->bound = calloc(t->nslots, sizeof *t->bound);
	t->seen = calloc(t->nslots, sizeof *t->seen);
	t->found = calloc(t->cap, sizeof *t->found);
	return t->bound && t->seen && t->found ? 0 : -1;
}

int snmp_tables_init(struct snmp_dev *d)
{
	for (size_t p = 0; p < d->conf->npoints; p++)
		d->ntables += starts_table(d->points, p);
	if (!d->ntables)
		return 0;
	d->tables = calloc(d->ntables, sizeof *d->tables);
	if (!d->tables)
		return -1;
	size_t t = 0;
	for (size_t p = 0; p < d->conf->npoints; p++)
		if (starts_table(d->points, p) &&
		    table_init(&d->tables[t++], d->points, d->conf->npoints, p) < 0)
			return -1;
	return 0;
}

void snmp_tables_free(struct snmp_dev *d)
{
	for (size_t t = 0; t < d->ntables; t++) {
		free(d->tables[t].bound);
		free(d->tables[t].seen);
		free(d->tables[t].found);
	}
	free(d->tables);
	d->tables = NULL;
	d->ntables = 0;
}

size_t snmp_table_walks(const struct snmp_table *t)
{
	return t->names_len ? 2 : 1;
}

void snmp_tables_reset(struct snmp_dev *d)
{
	for (size_t i = 0; i < d->ntables; i++) {
		struct snmp_table *t = &d->tables[i];
		t->nfound = 0;
		t->more = false;
		t->values_ok = false;
		t->names_ok = t->names_len == 0;
	}
}

void snmp_walk_begin(struct snmp_req *q)
{
	const struct snmp_table *t = q->table;
	const oid *start = q->names ? t->names : t->column;
	q->prefix_len = q->names ? t->names_len : t->column_len;
	q->nextlen = q->prefix_len;
	memcpy(q->next, start, q->nextlen * sizeof *start);
}

struct snmp_pdu *snmp_walk_pdu(const struct snmp_req *q, bool v1)
{
	struct snmp_pdu *pdu = snmp_pdu_create(v1 ? SNMP_MSG_GETNEXT : SNMP_MSG_GETBULK);
	if (!pdu)
		return NULL;
	if (!v1) {
		pdu->non_repeaters = 0;
		size_t want = q->table->nslots + 1;
		pdu->max_repetitions = (long)(want < BULK_REPETITIONS ? want : BULK_REPETITIONS);
	}
	snmp_add_null_var(pdu, q->next, q->nextlen);
	return pdu;
}

/* The found row with INDEX, added when new; NULL when the walk has
 * collected as many rows as it keeps. */
static struct snmp_found *found_row(struct snmp_table *t, const char *index)
{
	for (size_t i = 0; i < t->nfound; i++)
		if (strcmp(t->found[i].index, index) == 0)
			return &t->found[i];
	if (t->nfound == t->cap) {
		t->more = true;
		return NULL;
	}
	struct snmp_found *f = &t->found[t->nfound++];
	*f = (struct snmp_found){.status = FM_POINT_ABSENT};
	snprintf(f->index, sizeof f->index, "%s", index);
	return f;
}

/* The instance part of NAME below the column PREFIX, as "2" or "1.2". */
static void index_text(const oid *name, size_t len, size_t prefix, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = prefix; i < len && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%lu",
		                         i > prefix ? "." : "", (unsigned long)name[i]);
}

/* Takes one varbind of a walk: a value or a name for its row. */
static void take_varbind(struct snmp_req *q, const netsnmp_variable_list *vb,
                         const struct fm_point *column)
{
	struct snmp_table *t = q->table;
	char index[FM_OID_MAX];
	index_text(vb->name, vb->name_length, q->prefix_len, index, sizeof index);
	struct snmp_found *f = found_row(t, index);
	if (!f)
		return;
	if (q->names) {
		size_t n = vb->type == ASN_OCTET_STR ? vb->val_len : 0;
		n = n < sizeof f->label - 1 ? n : sizeof f->label - 1;
		memcpy(f->label, vb->val.string, n);
		f->label[n] = '\0';
		return;
	}
	struct fm_point p = *column; /* so a bad value names the row's OID */
	snprintf(p.oid, sizeof p.oid, "%.80s.%.40s", column->oid, index);
	if (snmp_value(&p, vb, &f->value, f->why, sizeof f->why) == 0)
		f->status = FM_POINT_OK;
	else
		f->status = FM_POINT_FAILED;
}

/* Whether VB is still in the walked column, after the last OID asked. */
static bool in_column(const struct snmp_req *q, const netsnmp_variable_list *vb)
{
	const oid *col = q->names ? q->table->names : q->table->column;
	return vb->type != SNMP_ENDOFMIBVIEW && vb->name_length > q->prefix_len &&
	       snmp_oid_ncompare(vb->name, vb->name_length, col, q->prefix_len,
	                         q->prefix_len) == 0 &&
	       snmp_oid_compare(vb->name, vb->name_length, q->next, q->nextlen) > 0;
}

enum snmp_walk_step snmp_walk_answered(struct snmp_req *q, const struct snmp_pdu *pdu,
                                       const struct fm_point *column, char *why,
                                       size_t whylen)
{
	struct snmp_table *t = q->table;
	if (pdu->errstat == SNMP_ERR_NOSUCHNAME) /* v1: past the end of the MIB */
		return SNMP_WALK_DONE;
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		snprintf(why, whylen, "%s: walk: %s", q->names ? column->row_names_oid
		                                              : column->oid,
		         snmp_errstring((int)pdu->errstat));
		return SNMP_WALK_FAILED;
	}
	const netsnmp_variable_list *vb = pdu->variables;
	for (; vb; vb = vb->next_variable) {
		if (!in_column(q, vb) || t->more)
			return SNMP_WALK_DONE;
		take_varbind(q, vb, column);
		q->nextlen = vb->name_length < MAX_OID_LEN ? vb->name_length : MAX_OID_LEN;
		memcpy(q->next, vb->name, q->nextlen * sizeof *q->next);
	}
	return t->more ? SNMP_WALK_DONE : SNMP_WALK_MORE;
}

/* ---- slots ---- */

/* LABEL reduced to [a-z0-9_], runs of anything else one "_", trimmed. */
static void name_from_label(const char *label, char *out, size_t outlen)
{
	size_t n = 0;
	for (const char *s = label; *s && n + 1 < outlen; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x80 && isalnum(ch))
			out[n++] = (char)tolower(ch);
		else if (n > 0 && out[n - 1] != '_')
			out[n++] = '_';
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
}

static bool name_taken(const struct snmp_table *t, const char *name)
{
	for (size_t s = 0; s < t->nslots; s++)
		if (strcmp(t->bound[s].name, name) == 0)
			return true;
	return false;
}

/* The name a new row in slot SLOT gets: from its label, else from its
 * index, else (an index cut to fit that another row has) from the slot. */
static void new_row_name(const struct snmp_table *t, const struct snmp_found *f,
                         size_t slot, char *out, size_t outlen)
{
	name_from_label(f->label, out, outlen);
	if (out[0] && !name_taken(t, out))
		return;
	snprintf(out, outlen, "%.*s", (int)outlen - 1, f->index);
	for (char *c = out; *c; c++)
		if (*c == '.')
			*c = '_';
	if (name_taken(t, out))
		snprintf(out, outlen, "slot_%zu", slot + 1);
}

static struct snmp_found *find_found(struct snmp_table *t, const char *index)
{
	for (size_t i = 0; i < t->nfound; i++)
		if (strcmp(t->found[i].index, index) == 0)
			return &t->found[i];
	return NULL;
}

/* The slot for found row F, binding one when F is new; -1 when every
 * slot is taken. */
static long slot_for(struct snmp_table *t, const struct snmp_found *f)
{
	for (size_t s = 0; s < t->nslots; s++)
		if (t->bound[s].name[0] && strcmp(t->bound[s].index, f->index) == 0)
			return (long)s;
	char name[FM_ROW_NAME_MAX];
	name_from_label(f->label, name, sizeof name);
	/* a known name at a new index: the same sensor on another port */
	for (size_t s = 0; name[0] && s < t->nslots; s++)
		if (strcmp(t->bound[s].name, name) == 0 && !t->seen[s] &&
		    !find_found(t, t->bound[s].index)) {
			snprintf(t->bound[s].index, sizeof t->bound[s].index, "%s", f->index);
			return (long)s;
		}
	for (size_t s = 0; s < t->nslots; s++)
		if (!t->bound[s].name[0]) {
			new_row_name(t, f, s, name, sizeof name);
			memcpy(t->bound[s].name, name, sizeof name);
			snprintf(t->bound[s].index, sizeof t->bound[s].index, "%s", f->index);
			return (long)s;
		}
	return -1;
}

static void count_failure(struct fm_poll_result *out, const char *why)
{
	out->requests_failed++;
	if (!out->error[0])
		snprintf(out->error, sizeof out->error, "%s", why);
}

/* Writes table T's slots into OUT: the rows found this poll, FAILED when
 * the walk failed, ABSENT for a slot whose row is not there. */
static void table_fill(struct snmp_table *t, const struct fm_point *column,
                       struct fm_poll_result *out)
{
	memset(t->seen, 0, t->nslots * sizeof *t->seen);
	size_t rows = 0, left_out = 0;
	for (size_t i = 0; t->values_ok && i < t->nfound; i++) {
		const struct snmp_found *f = &t->found[i];
		if (f->status == FM_POINT_ABSENT)
			continue; /* a name without a value */
		rows++;
		/* a new row is given a slot only once its name is known */
		bool known = false;
		for (size_t s = 0; s < t->nslots && !known; s++)
			known = t->bound[s].name[0] && strcmp(t->bound[s].index, f->index) == 0;
		long s = known || t->names_ok ? slot_for(t, f) : -1;
		if (s < 0) {
			left_out += t->names_ok;
			continue;
		}
		t->seen[s] = true;
		if (t->names_ok)
			memcpy(t->bound[s].label, f->label, sizeof f->label);
		out->values[t->first + (size_t)s] = (struct fm_point_value){
			.status = f->status, .value = f->value};
		if (f->status == FM_POINT_FAILED)
			count_failure(out, f->why);
	}
	for (size_t s = 0; s < t->nslots; s++) {
		if (!t->seen[s] && (t->values_ok || !t->bound[s].name[0]))
			out->values[t->first + s].status = FM_POINT_ABSENT;
		if (out->rows)
			out->rows[t->first + s] = t->bound[s];
	}
	if (left_out || t->more) {
		char why[FM_TEXT_MAX];
		snprintf(why, sizeof why, "%.60s: %s%zu rows, more than max_rows = %zu; "
		         "raise it to read them all", column->name, t->more ? "over " : "",
		         rows, t->nslots);
		count_failure(out, why);
	}
}

void snmp_tables_fill(struct snmp_dev *d, struct fm_poll_result *out)
{
	if (!d->ntables)
		return;
	if (!out->rows)
		out->rows = calloc(out->nvalues ? out->nvalues : 1, sizeof *out->rows);
	for (size_t t = 0; t < d->ntables; t++)
		table_fill(&d->tables[t], &d->points[d->tables[t].first], out);
}
