/* test_explain.c - why a read failed and what to try (probe/explain.c),
 * the words `facmon probe` and `facmon once` share.
 *
 * Table-driven: Modbus errnos and exception codes on TCP and RTU for each
 * audience (the probe's command line, the probe reading a profile, a
 * config), a bus that could not be opened (refused, no answer, unknown),
 * an SNMP agent that did not answer or answered an OID with an error, and
 * the hint for an implausible reading (--all-orders for values of two
 * registers, with the point's scale). Each row checks the kind and words
 * the message must and must not contain; every bad row prints got and
 * want, and each table fails once at its end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <modbus.h>

#include "probe/explain.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MSG_MAX 2048

static struct fm_bus tcp_bus(void)
{
	struct fm_bus b = {.type = FM_BUS_MODBUS_TCP, .port = 5020, .timeout_ms = 300};
	snprintf(b.host, sizeof b.host, "192.0.2.10");
	return b;
}

static struct fm_bus rtu_bus(void)
{
	struct fm_bus b = {.type = FM_BUS_MODBUS_RTU, .baud = 19200, .parity = 'E',
	                   .data_bits = 8, .stop_bits = 1, .timeout_ms = 100};
	snprintf(b.device, sizeof b.device, "/dev/ttyUSB0");
	return b;
}

/* True when MSG has WANT (NULL: nothing asked) and not AVOID (NULL). */
static bool words_ok(const char *msg, const char *want, const char *avoid)
{
	return (!want || strstr(msg, want)) && (!avoid || !strstr(msg, avoid));
}

static bool check_row(int row, const char *kind, const char *want_kind, const char *msg,
                      const char *want, const char *avoid)
{
	bool ok = (!want_kind || (kind && strcmp(kind, want_kind) == 0)) &&
	          words_ok(msg, want, avoid);
	if (!ok)
		printf("  row %d: got kind %s, message \"%s\"\n  want kind %s, containing "
		       "\"%s\"%s%s%s\n", row, kind ? kind : "(null)", msg,
		       want_kind ? want_kind : "(any)", want ? want : "", avoid ? ", not \"" : "",
		       avoid ? avoid : "", avoid ? "\"" : "");
	return ok;
}

/* ---- a failed Modbus read ---------------------------------------------- */

static void test_modbus_read(void **state)
{
	(void)state;
	static const struct {
		bool rtu;
		enum explain_for audience;
		enum fm_read_kind read;
		int e;
		const char *kind, *want, *avoid;
	} rows[] = {
		/* a reachable gateway whose unit is silent: the unit id first */
		{false, EXPLAIN_CONFIG, FM_READ_INPUT, ETIMEDOUT, "no-answer",
		 "check the unit id first", NULL},
		{false, EXPLAIN_CONFIG, FM_READ_INPUT, ETIMEDOUT, "no-answer",
		 "`facmon probe tcp 192.0.2.10:5020 --scan`", NULL},
		{false, EXPLAIN_PROBE, FM_READ_INPUT, ETIMEDOUT, "no-answer", "within 300 ms", NULL},
		{false, EXPLAIN_CONFIG, FM_READ_INPUT, EMBXGTAR, "no-answer",
		 "the gateway at 192.0.2.10:5020 says", NULL},
		{true, EXPLAIN_CONFIG, FM_READ_INPUT, ETIMEDOUT, "no-answer", "A/B swapped?", NULL},
		{true, EXPLAIN_PROBE, FM_READ_INPUT, ETIMEDOUT, "no-answer",
		 "`facmon probe rtu /dev/ttyUSB0 --baud 19200 --parity even --scan`", NULL},
		/* exceptions: the command line's mistake, or the profile's */
		{false, EXPLAIN_PROBE, FM_READ_HOLDING, EMBXILFUN, "exception", "try --read input",
		 NULL},
		{false, EXPLAIN_PROBE, FM_READ_COIL, EMBXILFUN, "exception", "try --read discrete",
		 NULL},
		{false, EXPLAIN_PROBE, FM_READ_HOLDING, EMBXILADD, "exception",
		 "40001 is --read holding --address 0", NULL},
		{false, EXPLAIN_CONFIG, FM_READ_HOLDING, EMBXILADD, "exception",
		 "the profile may not match", "--address"},
		{false, EXPLAIN_PROBE_PROFILE, FM_READ_HOLDING, EMBXILFUN, "exception",
		 "the profile may not match", "try --read"},
		{false, EXPLAIN_CONFIG, FM_READ_HOLDING, EMBXILVAL, "exception",
		 "leave out the point", NULL},
		{false, EXPLAIN_CONFIG, FM_READ_HOLDING, EMBXSFAIL, "exception",
		 "internal failure", NULL},
		{false, EXPLAIN_CONFIG, FM_READ_HOLDING, EMBXSBUSY, "exception", "busy", NULL},
		/* the link itself */
		{false, EXPLAIN_CONFIG, FM_READ_HOLDING, ECONNRESET, "connection",
		 "one client at a time", NULL},
		{true, EXPLAIN_CONFIG, FM_READ_HOLDING, EIO, "connection", "still plugged in", NULL},
		/* an answer that is not one */
		{false, EXPLAIN_CONFIG, FM_READ_HOLDING, EMBBADDATA, "garbled",
		 "not RTU over TCP", NULL},
		{true, EXPLAIN_CONFIG, FM_READ_HOLDING, EMBBADCRC, "garbled", "baud", NULL},
	};
	bool ok = true;
	for (size_t i = 0; i < LEN(rows); i++) {
		struct fm_bus bus = rows[i].rtu ? rtu_bus() : tcp_bus();
		struct explain_modbus x = {.bus = &bus, .unit = 9, .read = rows[i].read,
		                           .audience = rows[i].audience};
		char msg[MSG_MAX];
		const char *kind = explain_modbus_read(&x, rows[i].e, "input 0..1", msg, sizeof msg);
		ok &= check_row((int)i, kind, rows[i].kind, msg, rows[i].want, rows[i].avoid);
	}
	assert_true(ok);
}

/* ---- a bus that could not be opened ------------------------------------ */

static void test_modbus_open(void **state)
{
	(void)state;
	static const struct {
		bool rtu;
		int e;
		const char *want, *avoid;
	} rows[] = {
		{false, ECONNREFUSED, "nothing accepts Modbus TCP on that port", "firewall"},
		{false, ETIMEDOUT, "nothing answered the connection", "nothing accepts"},
		{false, EHOSTUNREACH, "a firewall drops", NULL},
		{false, 0, "that no firewall is in the way", NULL},
		{true, ENOENT, "ls /dev/ttyUSB*", "Modbus TCP"},
	};
	bool ok = true;
	for (size_t i = 0; i < LEN(rows); i++) {
		struct fm_bus bus = rows[i].rtu ? rtu_bus() : tcp_bus();
		char msg[MSG_MAX];
		explain_modbus_open(&bus, rows[i].e, "connect ...: why", msg, sizeof msg);
		ok &= check_row((int)i, NULL, NULL, msg, rows[i].want, rows[i].avoid);
		ok &= check_row((int)i, NULL, NULL, msg, "connect ...: why: ", NULL);
	}
	assert_true(ok);
}

/* ---- SNMP -------------------------------------------------------------- */

static void test_snmp_dead(void **state)
{
	(void)state;
	static const struct {
		enum fm_snmp_version version;
		enum explain_for audience;
		int tries;
		const char *error, *kind, *want, *avoid;
	} rows[] = {
		/* a wrong community gets no answer at all */
		{FM_SNMP_V2C, EXPLAIN_CONFIG, 2, "192.0.2.20:161: no answer (timeout)", "no-answer",
		 "the device's version and community (an agent does not answer a community",
		 "--community"},
		{FM_SNMP_V2C, EXPLAIN_PROBE, 1, "192.0.2.20:161: no answer (timeout)", "no-answer",
		 "to 1 try of 1000 ms", NULL},
		{FM_SNMP_V2C, EXPLAIN_PROBE, 2, "192.0.2.20:161: no answer (timeout)", "no-answer",
		 "--version and --community", NULL},
		{FM_SNMP_V3, EXPLAIN_CONFIG, 2, "192.0.2.20:161: no answer (timeout)", "no-answer",
		 "security_level", "--user"},
		{FM_SNMP_V3, EXPLAIN_PROBE, 2, "192.0.2.20:161: no answer (timeout)", "no-answer",
		 "--auth-protocol with --auth-passphrase-file", NULL},
		{FM_SNMP_V3, EXPLAIN_CONFIG, 2,
		 "192.0.2.20:161: SNMPv3 authentication or privacy failed (wrong digest)",
		 "v3-auth", "in the config they are the device's user", NULL},
		{FM_SNMP_V2C, EXPLAIN_CONFIG, 2, "192.0.2.20:161: Unknown host", "connection",
		 "does not resolve", NULL},
		{FM_SNMP_V1, EXPLAIN_CONFIG, 2, "192.0.2.20:161: something else", "connection",
		 "speaks SNMP version 1 (the device's version)", NULL},
	};
	bool ok = true;
	for (size_t i = 0; i < LEN(rows); i++) {
		struct fm_snmp_conf s = {.port = 161, .version = rows[i].version,
		                         .timeout_ms = 1000};
		snprintf(s.host, sizeof s.host, "192.0.2.20");
		char msg[MSG_MAX];
		const char *kind = explain_snmp_dead(&s, rows[i].audience, "192.0.2.20:161",
		                                     rows[i].tries, rows[i].error, msg, sizeof msg);
		ok &= check_row((int)i, kind, rows[i].kind, msg, rows[i].want, rows[i].avoid);
	}
	assert_true(ok);
}

static void test_snmp_advice(void **state)
{
	(void)state;
	static const struct {
		enum fm_snmp_version version;
		const char *error, *want;
	} rows[] = {
		{FM_SNMP_V2C, "1.3.6.1.2.1.33.1.2.3.0: noSuchObject", "does not have this object"},
		{FM_SNMP_V2C, "1.3.6.1.2.1.33.1.2.3.0: noSuchInstance", "not this instance"},
		{FM_SNMP_V1, "1.3.6.1.2.1.33.1.2.3.0: noSuchName", "with SNMPv1"},
		{FM_SNMP_V2C, "1.3.6.1.2.1.1.5.0: wrong type (OCTET STRING)", "not a number"},
		{FM_SNMP_V2C, "1.3.6.1.2.1.1.5.0: genErr", ""},
	};
	bool ok = true;
	for (size_t i = 0; i < LEN(rows); i++) {
		struct fm_snmp_conf s = {.version = rows[i].version};
		const char *got = explain_snmp_advice(&s, rows[i].error);
		bool row_ok = rows[i].want[0] ? strstr(got, rows[i].want) != NULL : !got[0];
		if (!row_ok)
			printf("  row %zu: got \"%s\", want \"%s\"\n", i, got, rows[i].want);
		ok &= row_ok;
	}
	assert_true(ok);
}

/* ---- implausible readings ---------------------------------------------- */

static void test_implausible(void **state)
{
	(void)state;
	static const struct {
		bool rtu, snmp;
		enum fm_value_type type;
		double scale, offset;
		bool suspect;
		const char *want, *avoid;
	} rows[] = {
		{false, false, FM_TYPE_FLOAT32, 1, 0, true,
		 "try: facmon probe tcp 192.0.2.10:5020 -u 2 -r input -a 70 --all-orders", "--scale"},
		{false, false, FM_TYPE_INT32, 0.1, 0, true,
		 "-r input -a 70 --scale 0.1 --all-orders", NULL},
		{false, false, FM_TYPE_UINT32, 1, -17.5, true, "--offset -17.5 --all-orders", NULL},
		{true, false, FM_TYPE_FLOAT32, 1, 0, true,
		 "try: facmon probe rtu /dev/ttyUSB0 --baud 19200 --parity even -u 2", NULL},
		{false, false, FM_TYPE_INT16, 0.1, 0, false,
		 "check the point's address, type and scale: facmon probe tcp 192.0.2.10:5020 -u 2 "
		 "-r input -a 70 -t int16 --scale 0.1", "--all-orders"},
		{false, false, FM_TYPE_INT64, 1, 0, false, "-t int64", "--all-orders"},
		{false, true, FM_TYPE_INT64, 1, 0, false,
		 "facmon probe snmp 192.0.2.20:161 1.3.6.1.2.1.33.1.3.3.1.2.1", "--all-orders"},
	};
	bool ok = true;
	for (size_t i = 0; i < LEN(rows); i++) {
		struct fm_bus bus = rows[i].rtu ? rtu_bus() : tcp_bus();
		struct fm_device d = {.unit = 2, .snmp = {.port = 161}};
		snprintf(d.snmp.host, sizeof d.snmp.host, "192.0.2.20");
		struct fm_point p = {.read = FM_READ_INPUT, .address = 70, .type = rows[i].type,
		                     .bit = -1, .scale = rows[i].scale, .offset = rows[i].offset};
		if (rows[i].snmp)
			snprintf(p.oid, sizeof p.oid, "1.3.6.1.2.1.33.1.3.3.1.2.1");
		char msg[MSG_MAX];
		explain_implausible(rows[i].snmp ? NULL : &bus, &d, &p, msg, sizeof msg);
		ok &= check_row((int)i, NULL, NULL, msg, rows[i].want, rows[i].avoid);
		if (explain_order_suspect(&p) != rows[i].suspect) {
			printf("  row %zu: order suspect %d, want %d\n", i, !rows[i].suspect,
			       rows[i].suspect);
			ok = false;
		}
	}
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modbus_read),
		cmocka_unit_test(test_modbus_open),
		cmocka_unit_test(test_snmp_dead),
		cmocka_unit_test(test_snmp_advice),
		cmocka_unit_test(test_implausible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
