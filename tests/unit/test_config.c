/* test_config.c - the config loader on good files.
 *
 * Good files (config/examples/opsroom.cfg, tests/configs/good/) must load
 * with every default filled in and profile points merged. The bad files
 * are test_config_bad.c's; config_fixture.h has what both share.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config/config.h"
#include "config_fixture.h"

/* ---- good files ---- */

static const struct fm_point *point_at(const struct fm_config *cfg, const char *dev,
                                       size_t i, const char *name)
{
	const struct fm_device *d = config_find_device(cfg, dev);
	assert_non_null(d);
	assert_true(i < d->npoints);
	assert_string_equal(d->points[i].name, name);
	return &d->points[i];
}

/* outputs.http: on once its group is there; an IPv6 address in brackets. */
static void test_outputs_http(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/outputs-http.cfg");
	assert_true(cfg->outputs.http.enabled);
	assert_string_equal(cfg->outputs.http.host, "::1");
	assert_int_equal(cfg->outputs.http.port, 9800);
	config_free(cfg);
}

static void test_example_opsroom(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("../config/examples/opsroom.cfg");

	assert_string_equal(cfg->agent.site, "tokyo-dc1");
	assert_string_equal(cfg->agent.name, "opsroom-gw1");
	assert_string_equal(cfg->agent.profile_dir, profile_dir);
	assert_int_equal(cfg->agent.history_days, 90);
	assert_string_equal(cfg->mqtt.client_id, "facmon-tokyo-dc1-opsroom-gw1");
	assert_int_equal(cfg->mqtt.qos, 1);

	const struct fm_bus *gw = config_find_bus(cfg, "gw");
	assert_non_null(gw);
	assert_int_equal(gw->type, FM_BUS_MODBUS_TCP);
	assert_string_equal(gw->host, "127.0.0.1");
	assert_int_equal(gw->port, 1502);

	assert_int_equal(cfg->ndevices, 3);
	const struct fm_device *rack_b = config_find_device(cfg, "rack-b");
	assert_non_null(rack_b);
	assert_int_equal(rack_b->unit, 2);
	assert_string_equal(rack_b->profile, "xy-md02");

	const struct fm_point *t = point_at(cfg, "rack-a", 0, "temperature");
	assert_int_equal(t->read, FM_READ_INPUT);
	assert_int_equal(t->address, 1);
	assert_int_equal(t->type, FM_TYPE_INT16);
	assert_true(t->scale == 0.1);
	assert_string_equal(t->unit, "degC");
	assert_true(ends_with(t->origin.file, "/xy-md02.cfg"));
	point_at(cfg, "rack-a", 1, "humidity");
	const struct fm_point *corr = point_at(cfg, "rack-a", 2, "temperature_correction");
	assert_int_equal(corr->read, FM_READ_HOLDING);
	assert_int_equal(corr->address, 0x0103);

	/* the leak inputs: profile di1..di8, then the device's named ones */
	const struct fm_device *floor = config_find_device(cfg, "floor");
	assert_non_null(floor);
	assert_int_equal(floor->npoints, 10);
	point_at(cfg, "floor", 7, "di8");
	const struct fm_point *leak = point_at(cfg, "floor", 8, "leak_under_crac");
	assert_int_equal(leak->read, FM_READ_DISCRETE);
	assert_int_equal(leak->type, FM_TYPE_BOOL);
	assert_int_equal(leak->address, 0);
	assert_true(ends_with(leak->origin.file, "/opsroom.cfg"));

	assert_int_equal(cfg->nrules, 5);
	const struct fm_rule *hot = &cfg->rules[0];
	assert_string_equal(hot->name, "room-temp-high");
	assert_string_equal(hot->conds[0].device, "rack-a");
	assert_string_equal(hot->conds[0].point, "temperature");
	assert_int_equal(hot->conds[0].kind, FM_RULE_ABOVE);
	assert_true(hot->conds[0].threshold == 30.0 && hot->conds[0].clear == 28.0);
	assert_int_equal(hot->for_s, 60);
	assert_int_equal(hot->severity, FM_SEV_CRITICAL);
	assert_int_equal(hot->ncontrols, 1);
	assert_string_equal(hot->controls[0], "設46");
	assert_string_equal(hot->routing.runbook,
	                    "Check the CRAC units; call the facility on-call");
	const struct fm_rule *rate = &cfg->rules[1];
	assert_string_equal(rate->name, "ac-failure-suspected");
	assert_int_equal(rate->conds[0].kind, FM_RULE_RISE);
	assert_int_equal(rate->conds[0].within, 600);
	assert_int_equal(rate->clear_for_s, 300);
	const struct fm_rule *leak_rule = &cfg->rules[4];
	assert_string_equal(leak_rule->name, "water-leak");
	assert_int_equal(leak_rule->conds[0].kind, FM_RULE_EQUALS);
	assert_true(leak_rule->conds[0].threshold == 1.0);
	assert_string_equal(leak_rule->controls[0], "設80");
	config_free(cfg);
}

static void test_minimal_defaults(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/minimal.cfg");

	assert_string_equal(cfg->agent.state_dir, "/var/lib/facmon");
	assert_int_equal(cfg->agent.log_level, FM_LOG_INFO);
	assert_int_equal(cfg->agent.history_days, 90);
	assert_int_equal(cfg->agent.disk_min_free_pct, 5);
	assert_int_equal(cfg->agent.clock_unsync_grace, 600);
	assert_int_equal(cfg->agent.outbox_alert_after, 300);
	assert_int_equal(cfg->agent.collector_hang_after, 60);
	const struct fm_mqtt_conf *m = &cfg->mqtt;
	assert_string_equal(m->host, "127.0.0.1");
	assert_int_equal(m->port, 1883);
	assert_string_equal(m->client_id, "facmon-lab-gw1");
	assert_string_equal(m->topic_prefix, "facmon");
	assert_string_equal(m->tls_ca_file, "");
	assert_int_equal(m->qos, 1);
	assert_int_equal(m->keepalive, 30);
	assert_int_equal(m->reconnect_max, 5);
	assert_false(cfg->outputs.http.enabled);
	assert_string_equal(cfg->outputs.http.host, "127.0.0.1");
	assert_int_equal(cfg->outputs.http.port, 9707);

	const struct fm_bus *rtu = config_find_bus(cfg, "rs485a");
	assert_non_null(rtu);
	assert_int_equal(rtu->type, FM_BUS_MODBUS_RTU);
	assert_int_equal(rtu->baud, 9600);
	assert_int_equal(rtu->parity, 'N');
	assert_int_equal(rtu->data_bits, 8);
	assert_int_equal(rtu->stop_bits, 1);
	assert_int_equal(rtu->timeout_ms, 500);
	assert_int_equal(rtu->delay_ms, 0);
	const struct fm_bus *tcp = config_find_bus(cfg, "bms");
	assert_non_null(tcp);
	assert_int_equal(tcp->port, 502);
	assert_int_equal(tcp->timeout_ms, 1000);
	assert_int_equal(tcp->origin.line, 9);

	const struct fm_device *d = config_find_device(cfg, "meter");
	assert_non_null(d);
	assert_int_equal(d->unit, 1);
	assert_int_equal(d->interval, 10);
	assert_int_equal(d->down_after, 3);
	const struct fm_point *volts = point_at(cfg, "meter", 0, "volts");
	assert_int_equal(volts->type, FM_TYPE_UINT16);
	assert_int_equal(volts->order, FM_ORDER_ABCD);
	assert_int_equal(volts->bit, -1);
	assert_true(volts->scale == 1.0 && volts->offset == 0.0);
	assert_string_equal(volts->unit, "");
	assert_int_equal(point_at(cfg, "meter", 1, "alarm")->type, FM_TYPE_BOOL);

	const struct fm_rule *r = &cfg->rules[0];
	assert_true(r->conds[0].clear == r->conds[0].threshold);
	assert_int_equal(r->for_s, 0);
	assert_int_equal(r->repeat, 0);
	assert_int_equal(r->severity, FM_SEV_WARNING);
	assert_int_equal(r->ncontrols, 0);
	config_free(cfg);
}

static void test_full_and_override(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/full.cfg");
	char want[PATH_MAX];

	data_path(want, sizeof(want), "configs/good/profiles");
	assert_string_equal(cfg->agent.profile_dir, want);
	assert_int_equal(cfg->agent.log_level, FM_LOG_DEBUG);
	assert_int_equal(cfg->agent.history_days, 400);
	assert_int_equal(cfg->agent.disk_min_free_pct, 10);
	assert_int_equal(cfg->agent.clock_unsync_grace, 1200);
	assert_int_equal(cfg->agent.outbox_alert_after, 60);
	assert_int_equal(cfg->agent.collector_hang_after, 20);
	assert_string_equal(cfg->mqtt.client_id, "gw1-custom");
	assert_int_equal(cfg->mqtt.reconnect_max, 20);
	assert_string_equal(cfg->mqtt.username, "facmon");
	data_path(want, sizeof(want), "configs/good/../secrets/mqtt.pass");
	assert_string_equal(cfg->mqtt.password_file, want);
	data_path(want, sizeof(want), "configs/good/../tls/ca.pem");
	assert_string_equal(cfg->mqtt.tls_ca_file, want);
	data_path(want, sizeof(want), "configs/good/../tls/client.pem");
	assert_string_equal(cfg->mqtt.tls_cert_file, want);
	data_path(want, sizeof(want), "configs/good/../tls/client.key");
	assert_string_equal(cfg->mqtt.tls_key_file, want);
	assert_string_equal(cfg->mqtt.topic_prefix, "corp/facmon");
	assert_int_equal(cfg->mqtt.qos, 0);
	const struct fm_bus *rtu = config_find_bus(cfg, "rs485a");
	assert_non_null(rtu);
	assert_int_equal(rtu->baud, 19200);
	assert_int_equal(rtu->parity, 'E');
	assert_int_equal(rtu->data_bits, 7);
	assert_int_equal(rtu->stop_bits, 2);
	assert_int_equal(rtu->delay_ms, 20);

	/* profile supply_air, return_air (replaced in place), running; then fan_fault */
	const struct fm_device *d = config_find_device(cfg, "crac1");
	assert_non_null(d);
	assert_int_equal(d->npoints, 4);
	assert_int_equal(d->unit, 247);
	assert_true(ends_with(point_at(cfg, "crac1", 0, "supply_air")->origin.file,
	                      "/good/profiles/test-crac.cfg"));
	const struct fm_point *ret = point_at(cfg, "crac1", 1, "return_air");
	assert_true(ends_with(ret->origin.file, "/good/full.cfg"));
	assert_int_equal(ret->origin.line, 40);
	assert_int_equal(ret->address, 100);
	assert_int_equal(ret->type, FM_TYPE_FLOAT32);
	assert_int_equal(ret->order, FM_ORDER_CDAB);
	assert_true(ret->scale == 1.0 && ret->offset == -0.5);
	point_at(cfg, "crac1", 2, "running");
	assert_int_equal(point_at(cfg, "crac1", 3, "fan_fault")->bit, 15);

	const struct fm_rule *r = &cfg->rules[0];
	assert_string_equal(r->name, "crac1.supply-hot");
	assert_true(r->conds[0].threshold == 24.5 && r->conds[0].clear == 23.0);
	assert_int_equal(r->repeat, 900);
	assert_int_equal(r->severity, FM_SEV_MAJOR);
	assert_int_equal(r->ncontrols, 2);
	assert_string_equal(r->controls[1], "7.11");
	assert_int_equal(cfg->rules[1].conds[0].kind, FM_RULE_NOT_EQUALS);
	assert_int_equal(cfg->rules[2].conds[0].kind, FM_RULE_BELOW);
	config_free(cfg);
}

static const struct fm_rule *rule_named(const struct fm_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nrules; i++)
		if (strcmp(cfg->rules[i].name, name) == 0)
			return &cfg->rules[i];
	fail_msg("no rule %s", name);
	return NULL;
}

static void assert_enum(const struct fm_point *p, size_t i, const char *name, int value)
{
	assert_true(i < p->nenums);
	assert_string_equal(p->enums[i].name, name);
	assert_int_equal(p->enums[i].value, value);
}

static void test_snmp_devices(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/snmp.cfg");
	char want[PATH_MAX];

	/* the implicit bus comes after the user's, from the first SNMP device */
	assert_int_equal(cfg->nbuses, 2);
	assert_string_equal(cfg->buses[0].name, "bms");
	const struct fm_bus *sb = &cfg->buses[1];
	assert_string_equal(sb->name, FM_SNMP_BUS_NAME);
	assert_int_equal(sb->type, FM_BUS_SNMP);
	assert_ptr_equal(config_find_bus(cfg, "snmp"), sb);
	assert_true(ends_with(sb->origin.file, "/good/snmp.cfg"));
	assert_int_equal(sb->origin.line, 12);
	assert_true(sb->traps.enabled);
	assert_int_equal(sb->traps.port, 1162);

	/* v2c by default, with a profile and a point of its own */
	const struct fm_device *ups1 = config_find_device(cfg, "ups1");
	assert_non_null(ups1);
	assert_int_equal(ups1->kind, FM_DEVICE_SNMP);
	assert_string_equal(ups1->bus, FM_SNMP_BUS_NAME);
	assert_int_equal(ups1->interval, 5);
	const struct fm_snmp_conf *s1 = &ups1->snmp;
	assert_string_equal(s1->host, "192.0.2.30");
	assert_int_equal(s1->port, 161);
	assert_int_equal(s1->version, FM_SNMP_V2C);
	assert_string_equal(s1->community, "public");
	assert_int_equal(s1->level, FM_SNMP_NOAUTH);
	assert_int_equal(s1->auth, FM_AUTH_NONE);
	assert_int_equal(s1->priv, FM_PRIV_NONE);
	assert_int_equal(s1->timeout_ms, 1000);
	assert_int_equal(s1->retries, 1);
	assert_int_equal(ups1->npoints, 5);
	const struct fm_point *bs = point_at(cfg, "ups1", 0, "battery_status");
	assert_string_equal(bs->oid, "1.3.6.1.2.1.33.1.2.1.0");
	assert_int_equal(bs->nenums, 4);
	assert_enum(bs, 3, "batteryDepleted", 4);
	const struct fm_point *volts = point_at(cfg, "ups1", 2, "battery_voltage");
	assert_string_equal(volts->oid, "1.3.6.1.2.1.33.1.2.5.0"); /* leading dot dropped */
	assert_true(volts->scale == 0.1);
	assert_int_equal(volts->bit, -1);
	assert_int_equal(volts->nenums, 0);
	const struct fm_point *src = point_at(cfg, "ups1", 3, "output_source");
	assert_int_equal(src->nenums, 7);
	assert_enum(src, 0, "other", 1);
	assert_enum(src, 4, "battery", 5);
	assert_enum(src, 6, "reducer", 7);
	const struct fm_point *temp = point_at(cfg, "ups1", 4, "battery_temp");
	assert_string_equal(temp->oid, "1.3.6.1.2.1.33.1.2.7.0");
	assert_string_equal(temp->unit, "degC");
	assert_true(temp->scale == 1.0 && temp->offset == 0.0);
	assert_true(ends_with(temp->origin.file, "/good/snmp.cfg"));

	/* v3 authPriv, secrets relative to the config file */
	const struct fm_device *ups2 = config_find_device(cfg, "ups2");
	assert_non_null(ups2);
	const struct fm_snmp_conf *s2 = &ups2->snmp;
	assert_string_equal(s2->host, "ups2.example");
	assert_int_equal(s2->port, 1161);
	assert_int_equal(s2->version, FM_SNMP_V3);
	assert_string_equal(s2->community, "");
	assert_string_equal(s2->user, "facmon");
	assert_int_equal(s2->level, FM_SNMP_AUTHPRIV);
	assert_int_equal(s2->auth, FM_AUTH_SHA256);
	assert_int_equal(s2->priv, FM_PRIV_AES256);
	data_path(want, sizeof(want), "configs/good/../secrets/ups.auth");
	assert_string_equal(s2->auth_passphrase_file, want);
	data_path(want, sizeof(want), "configs/good/../secrets/ups.priv");
	assert_string_equal(s2->priv_passphrase_file, want);
	assert_int_equal(s2->timeout_ms, 2500);
	assert_int_equal(s2->retries, 3);
	assert_int_equal(ups2->down_after, 5);
	assert_int_equal(ups2->npoints, 3); /* the profile's 4, battery_voltage dropped */

	/* v1 with a community; v3 authNoPriv defaults to SHA and no privacy */
	const struct fm_device *ups3 = config_find_device(cfg, "ups3");
	assert_non_null(ups3);
	assert_int_equal(ups3->snmp.version, FM_SNMP_V1);
	assert_string_equal(ups3->snmp.community, "ops-ro");
	const struct fm_snmp_conf *s4 = &config_find_device(cfg, "ups4")->snmp;
	assert_int_equal(s4->level, FM_SNMP_AUTHNOPRIV);
	assert_int_equal(s4->auth, FM_AUTH_SHA);
	assert_int_equal(s4->priv, FM_PRIV_NONE);
	assert_string_equal(s4->priv_passphrase_file, "");

	/* a Modbus device beside them, with an enum point */
	const struct fm_device *crac = config_find_device(cfg, "crac1");
	assert_non_null(crac);
	assert_int_equal(crac->kind, FM_DEVICE_MODBUS);
	assert_string_equal(crac->bus, "bms");
	const struct fm_point *st = point_at(cfg, "crac1", 0, "state");
	assert_string_equal(st->oid, "");
	assert_int_equal(st->read, FM_READ_INPUT);
	assert_int_equal(st->address, 100);
	assert_int_equal(st->nenums, 3);
	assert_enum(st, 0, "off", 0);
	assert_enum(st, 2, "standby", 2);

	/* enum names in rules are their values */
	const struct fm_rule *r = rule_named(cfg, "ups1-on-battery");
	assert_int_equal(r->conds[0].kind, FM_RULE_EQUALS);
	assert_true(r->conds[0].threshold == 5.0 && r->conds[0].clear == 5.0);
	assert_int_equal(r->severity, FM_SEV_MAJOR);
	r = rule_named(cfg, "ups2-not-normal");
	assert_int_equal(r->conds[0].kind, FM_RULE_NOT_EQUALS);
	assert_true(r->conds[0].threshold == 3.0 && r->conds[0].clear == 3.0);
	r = rule_named(cfg, "crac1-off");
	assert_true(r->conds[0].threshold == 0.0);
	assert_true(rule_named(cfg, "crac1-state-2")->conds[0].threshold == 2.0);
	r = rule_named(cfg, "ups1-battery-hot");
	assert_true(r->conds[0].threshold == 40.0 && r->conds[0].clear == 38.0);

	assert_true(cfg->traps.enabled);
	assert_string_equal(cfg->traps.listen, "127.0.0.1");
	assert_int_equal(cfg->traps.port, 1162);
	assert_string_equal(cfg->traps.community, "traps-ro");
	assert_int_equal(cfg->traps.nv3_users, 1);
	assert_string_equal(cfg->traps.v3_users[0].engine_id, "8000000001020304");
	assert_string_equal(cfg->traps.v3_users[0].v3.user, "trapper");
	assert_int_equal(cfg->traps.v3_users[0].v3.level, FM_SNMP_AUTHNOPRIV);
	assert_int_equal(cfg->traps.v3_users[0].v3.auth, FM_AUTH_SHA256);
	assert_true(ends_with(cfg->traps.v3_users[0].v3.auth_passphrase_file, "secrets/ups.auth"));
	config_free(cfg);
}

/* The SNMP example, with the library's ups-mib and liebert-icom profiles. */
static void test_example_snmp_ups(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("../config/examples/snmp-ups.cfg");

	assert_int_equal(cfg->nbuses, 2);
	assert_int_equal(cfg->buses[1].type, FM_BUS_SNMP);
	const struct fm_device *ups = config_find_device(cfg, "ups1");
	assert_non_null(ups);
	assert_int_equal(ups->kind, FM_DEVICE_SNMP);
	assert_true(ends_with(ups->points[0].origin.file, "/ups-mib.cfg"));
	const struct fm_point *src = device_find_point(ups, "output_source");
	assert_non_null(src);
	assert_true(src->oid[0] != '\0');

	/* the own enum point replaced the profile's in place */
	const struct fm_device *crac = config_find_device(cfg, "crac1");
	assert_non_null(crac);
	const struct fm_point *run = device_find_point(crac, "system_operating_state");
	assert_non_null(run);
	assert_true(ends_with(run->origin.file, "/snmp-ups.cfg"));
	assert_int_equal(run->nenums, 3);

	assert_true(rule_named(cfg, "ups-on-battery")->conds[0].threshold == 5.0);
	assert_true(rule_named(cfg, "ups-on-bypass")->conds[0].threshold == 4.0);
	assert_true(rule_named(cfg, "ups-battery-low")->conds[0].threshold == 3.0);
	const struct fm_rule *r = rule_named(cfg, "crac1-not-running");
	assert_int_equal(r->conds[0].kind, FM_RULE_NOT_EQUALS);
	assert_true(r->conds[0].threshold == 1.0);
	assert_true(cfg->traps.enabled);
	assert_int_equal(cfg->traps.port, 162);
	config_free(cfg);
}

/* drop = true removes a profile point; the others keep their order. */
static void test_drop_profile_point(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/snmp.cfg");
	assert_non_null(cfg);
	const struct fm_device *d = config_find_device(cfg, "ups2");
	assert_non_null(d);
	assert_int_equal(d->npoints, 3);
	assert_string_equal(d->points[0].name, "battery_status");
	assert_string_equal(d->points[1].name, "charge");
	assert_string_equal(d->points[2].name, "output_source");
	for (size_t i = 0; i < d->npoints; i++)
		assert_false(d->points[i].drop);
	config_free(cfg);
}

/* A table column with rows becomes one point per row. */
static void test_snmp_table_rows(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/snmp.cfg");
	assert_non_null(cfg);
	const struct fm_device *d = config_find_device(cfg, "ups3");
	assert_non_null(d);
	static const char *const want[][2] = {
		{"load", "1.3.6.1.2.1.33.1.4.4.1.5.1"},
		{"in_volts_L1", "1.3.6.1.2.1.33.1.3.3.1.3.1"},
		{"in_volts_L2", "1.3.6.1.2.1.33.1.3.3.1.3.2"},
		{"in_volts_L3", "1.3.6.1.2.1.33.1.3.3.1.3.3"},
		{"out_load_2", "1.3.6.1.2.1.33.1.4.4.1.5.2"},
		{"out_load_3", "1.3.6.1.2.1.33.1.4.4.1.5.3"},
	};
	assert_int_equal(d->npoints, 6);
	int failures = 0;
	for (size_t i = 0; i < 6; i++)
		if (strcmp(d->points[i].name, want[i][0]) || strcmp(d->points[i].oid, want[i][1])) {
			printf("point %zu: got %s %s, want %s %s\n", i, d->points[i].name,
			       d->points[i].oid, want[i][0], want[i][1]);
			failures++;
		}
	assert_int_equal(failures, 0);
	assert_string_equal(d->points[2].unit, "V");
	config_free(cfg);
}

/* Checks that D's points from FIRST are the NSLOTS slots of column NAME,
 * named by the column NAMES_OID (NULL: none). */
static void assert_slots(const struct fm_device *d, size_t first, const char *name,
                         unsigned nslots, const char *oid, const char *names_oid)
{
	assert_true(first + nslots <= d->npoints);
	for (unsigned k = 0; k < nslots; k++) {
		const struct fm_point *p = &d->points[first + k];
		assert_string_equal(p->name, name);
		assert_string_equal(p->oid, oid);
		if (names_oid)
			assert_string_equal(p->row_names_oid, names_oid);
		else
			assert_null(p->row_names_oid);
		assert_int_equal(p->slot, k + 1);
		assert_int_equal(p->nslots, nslots);
	}
}

/* rows = "all": max_rows slots of the column, from a profile or a device's
 * own points, replaced and dropped as a whole. */
static void test_snmp_walked_columns(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/snmp.cfg");
	const struct fm_device *d = config_find_device(cfg, "hub1");
	assert_non_null(d);
	assert_int_equal(d->npoints, 4 + 1 + FM_ROWS_DEFAULT);
	assert_slots(d, 0, "temperature", 4, "1.3.6.1.4.1.3854.1.2.2.1.16.1.3",
	             "1.3.6.1.4.1.3854.1.2.2.1.16.1.1");
	assert_string_equal(d->points[0].unit, "degC");
	assert_string_equal(d->points[4].name, "uptime");
	assert_int_equal(d->points[4].nslots, 0);
	assert_slots(d, 5, "humidity", FM_ROWS_DEFAULT, "1.3.6.1.4.1.3854.1.2.2.1.17.1.3", NULL);

	/* hub2 drops humidity, replaces temperature in place, adds switch */
	d = config_find_device(cfg, "hub2");
	assert_non_null(d);
	assert_int_equal(d->npoints, 2 + 1 + 3);
	assert_slots(d, 0, "temperature", 2, "1.3.6.1.4.1.3854.1.2.2.1.16.1.3", NULL);
	assert_string_equal(d->points[2].name, "uptime");
	assert_slots(d, 3, "switch", 3, "1.3.6.1.4.1.3854.1.2.2.1.18.1.3", NULL);

	/* a rule on the column names its first slot */
	assert_ptr_equal(device_find_point(config_find_device(cfg, "hub1"), "temperature"),
	                 &config_find_device(cfg, "hub1")->points[0]);
	config_free(cfg);
}

static const struct fm_rule *rule_in(const struct fm_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nrules; i++)
		if (strcmp(cfg->rules[i].name, name) == 0)
			return &cfg->rules[i];
	fail_msg("no rule %s", name);
	return NULL;
}

/* Rates, masks, all/any, clear_for, routing, sensor faults, stale_after
 * and a maintenance window, as loaded. */
static void test_alerting_keys(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/alerting.cfg");
	const struct fm_rule *r = rule_in(cfg, "ac-failure-suspected");
	assert_int_equal(r->combine, FM_COMBINE_ONE);
	assert_int_equal(r->nconds, 1);
	assert_int_equal(r->conds[0].kind, FM_RULE_RISE);
	assert_true(r->conds[0].threshold == 3.0);
	assert_int_equal(r->conds[0].within, 600);
	assert_int_equal(r->clear_for_s, 300);
	assert_string_equal(r->routing.owner, "on-call");
	assert_int_equal(rule_in(cfg, "supply-falling")->conds[0].kind, FM_RULE_FALL);
	r = rule_in(cfg, "fire-panel");
	assert_int_equal(r->conds[0].kind, FM_RULE_MASK);
	assert_int_equal(r->conds[0].mask, 0x07);
	r = rule_in(cfg, "ac-failure");
	assert_int_equal(r->combine, FM_COMBINE_ALL);
	assert_int_equal(r->nconds, 2);
	assert_string_equal(r->conds[1].device, "crac1");
	assert_string_equal(r->conds[1].point, "run");
	assert_true(r->conds[1].threshold == 0.0); /* "off" resolved */
	assert_true(r->conds[0].clear == 25.0);
	assert_int_equal(r->for_s, 30);
	assert_int_equal(rule_in(cfg, "anything-wrong")->combine, FM_COMBINE_ANY);

	const struct fm_device *d = config_find_device(cfg, "crac1");
	assert_int_equal(d->stale_after, 60);
	assert_string_equal(d->routing.location, "room 3");
	assert_string_equal(d->routing.runbook, "https://wiki.example/crac");
	const struct fm_point *p = device_find_point(d, "supply_temp");
	assert_true(p->has_valid_min && p->valid_min == -20.0);
	assert_true(p->has_valid_max && p->valid_max == 80.0);
	assert_int_equal(p->nsentinels, 2);
	assert_true(p->sentinels[0] == -32768 && p->sentinels[1] == 32767);
	assert_int_equal(p->stuck_after, 1800);
	p = device_find_point(d, "energy");
	assert_int_equal(p->nsentinels, 3); /* as written, not wrapped to 32 bits */
	assert_true(p->sentinels[0] == 4294967295.0 && p->sentinels[1] == 4294967294.0 &&
	            p->sentinels[2] == 2147483648.0);
	assert_int_equal(config_find_device(cfg, "fire")->stale_after, 30); /* 3 x 10 s */
	p = device_find_point(config_find_device(cfg, "fire"), "status");
	assert_true(p->enum_is_bits);
	assert_int_equal(p->nenums, 3);

	assert_int_equal(cfg->nsilences, 1);
	assert_string_equal(cfg->silences[0].match, "crac1*");
	assert_int_equal(cfg->silences[0].start_ms, 1795395600000LL); /* 2026-11-23T01:00Z */
	assert_int_equal(cfg->silences[0].end_ms, 1795395600000LL + 5 * 3600000LL);
	assert_string_equal(cfg->silences[0].why, "CRAC filter change");
	config_free(cfg);
}

static void test_snmp_defaults(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/snmp-defaults.cfg");

	/* no buses section: the implicit bus is the only one */
	assert_int_equal(cfg->nbuses, 1);
	assert_int_equal(cfg->buses[0].type, FM_BUS_SNMP);
	const struct fm_device *d = config_find_device(cfg, "env");
	assert_non_null(d);
	assert_int_equal(d->kind, FM_DEVICE_SNMP);
	assert_int_equal(d->interval, 10);
	assert_int_equal(d->down_after, 3);
	assert_int_equal(d->snmp.version, FM_SNMP_V2C);
	assert_string_equal(d->snmp.community, "public");
	assert_int_equal(d->snmp.port, 161);

	/* `snmp_traps = {};` turns the listener on with every default */
	assert_true(cfg->traps.enabled);
	assert_string_equal(cfg->traps.listen, "0.0.0.0");
	assert_int_equal(cfg->traps.port, 162);
	assert_string_equal(cfg->traps.community, "public");
	assert_true(cfg->buses[0].traps.enabled);
	config_free(cfg);

	/* without SNMP devices or snmp_traps: no implicit bus, no listener */
	cfg = load_good("configs/good/minimal.cfg");
	assert_int_equal(cfg->nbuses, 2);
	assert_null(config_find_bus(cfg, FM_SNMP_BUS_NAME));
	assert_int_equal(config_find_device(cfg, "meter")->kind, FM_DEVICE_MODBUS);
	assert_false(cfg->traps.enabled);
	assert_string_equal(cfg->traps.listen, "0.0.0.0");
	assert_int_equal(cfg->traps.port, 162);
	config_free(cfg);
}


int main(void)
{
	find_dirs();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_opsroom),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full_and_override),
		cmocka_unit_test(test_snmp_devices),
		cmocka_unit_test(test_example_snmp_ups),
		cmocka_unit_test(test_snmp_defaults),
		cmocka_unit_test(test_snmp_table_rows),
		cmocka_unit_test(test_snmp_walked_columns),
		cmocka_unit_test(test_alerting_keys),
		cmocka_unit_test(test_drop_profile_point),
		cmocka_unit_test(test_outputs_http),
	};
	return cmocka_run_group_tests(tests, setup_secrets, NULL);
}
