/* probe_report.c - what `facmon probe` says when a read fails, and how
 * its results are printed.
 *
 * Owns: turning a libmodbus failure into a sentence a facility engineer
 * can act on (no answer: check wiring, baud, unit id...; an exception: the
 * register map differs...), the same for an SNMP agent that does not
 * answer (host, port, firewall, version and community, or the SNMPv3
 * user, protocols and passphrases) or answers an OID with an error, the
 * JSON frame every probe mode shares, and the formatting of values. The
 * Modbus classification itself is modbus_link.h's, so the probe and the
 * agent agree on what an error means; SNMP failures are worded by the
 * collector (collectors/snmp.c) and only explained here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include "agent/probe_private.h"
#include "collectors/modbus_link.h"

void probe_where(const struct probe_opts *o, int unit, char *buf, size_t len)
{
	char link[FM_TEXT_MAX + 32];
	mb_link_describe(&o->bus, link, sizeof link);
	snprintf(buf, len, "unit %d %s %s", unit,
	         o->bus.type == FM_BUS_MODBUS_RTU ? "on" : "at", link);
}

void probe_range_text(enum fm_read_kind read, unsigned address, unsigned count,
                      char *buf, size_t len)
{
	if (count <= 1)
		snprintf(buf, len, "%s %u", read_kind_name(read), address);
	else
		snprintf(buf, len, "%s %u..%u", read_kind_name(read), address,
		         address + count - 1);
}

/* The command that scans this line, with its non-default settings. */
static void scan_command(const struct probe_opts *o, char *buf, size_t len)
{
	const struct fm_bus *b = &o->bus;
	if (b->type == FM_BUS_MODBUS_TCP) {
		snprintf(buf, len, strchr(b->host, ':') ? "facmon probe tcp [%s]:%d --scan"
		                                       : "facmon probe tcp %s:%d --scan",
		         b->host, b->port);
		return;
	}
	char serial[96] = "";
	size_t n = 0;
	if (b->baud != 9600)
		n += (size_t)snprintf(serial + n, sizeof serial - n, " --baud %d", b->baud);
	if (b->parity != 'N')
		n += (size_t)snprintf(serial + n, sizeof serial - n, " --parity %s",
		                      b->parity == 'E' ? "even" : "odd");
	if (b->data_bits != 8)
		n += (size_t)snprintf(serial + n, sizeof serial - n, " --data-bits %d",
		                      b->data_bits);
	if (b->stop_bits != 1)
		snprintf(serial + n, sizeof serial - n, " --stop-bits %d", b->stop_bits);
	snprintf(buf, len, "facmon probe rtu %s%s --scan", b->device, serial);
}

static void explain_silence(const struct probe_opts *o, int unit, int e,
                            char *msg, size_t len)
{
	char where[FM_TEXT_MAX + 64], scan[FM_TEXT_MAX + 128];
	probe_where(o, unit, where, sizeof where);
	scan_command(o, scan, sizeof scan);
	if (e == EMBXGTAR || e == EMBXGPATH) {
		snprintf(msg, len, "no answer from unit %d: the gateway at %s:%d says %s: "
		         "check the unit id, the gateway's serial settings (baud, parity) "
		         "and its routing, the RS-485 wiring behind it (A/B swapped?) and "
		         "that the device is powered; `%s` lists the unit ids that answer",
		         unit, o->bus.host, o->bus.port, mb_strerror(e), scan);
	} else if (o->bus.type == FM_BUS_MODBUS_RTU) {
		snprintf(msg, len, "no answer from %s within %d ms: check the wiring "
		         "(A/B swapped?), the baud rate and parity, the unit id, "
		         "termination and that the device is powered; `%s` lists the "
		         "unit ids that answer", where, o->bus.timeout_ms, scan);
	} else {
		snprintf(msg, len, "no answer from %s within %d ms: the connection was "
		         "accepted, so the device or gateway is there; check the unit id "
		         "(behind an RS-485 gateway: the device's address on the line), "
		         "the gateway's serial settings and wiring, and that the device "
		         "is powered; `%s` lists the unit ids that answer",
		         where, o->bus.timeout_ms, scan);
	}
}

/* What an exception suggests trying next. */
static const char *exception_advice(const struct probe_opts *o, int e)
{
	bool map = e == EMBXILFUN || e == EMBXILADD || e == EMBXILVAL;
	if (map && o->mode == PROBE_MODE_PROFILE)
		return "the device does not have this point: the profile may not match "
		       "its model or firmware; check the device's register map, and in "
		       "the config override or leave out the point";
	switch (e) {
	case EMBXILFUN:
		switch (o->read) {
		case FM_READ_HOLDING: return "it does not serve holding registers (FC03); try --read input";
		case FM_READ_INPUT: return "it does not serve input registers (FC04); try --read holding";
		case FM_READ_COIL: return "it does not serve coils (FC01); try --read discrete";
		default: return "it does not serve discrete inputs (FC02); try --read coil";
		}
	case EMBXILADD:
		return "the register map may differ; check --read and --address (a "
		       "manual's 40001 is --read holding --address 0, 30001 is --read "
		       "input --address 0) and --count";
	case EMBXILVAL:
		return "the device refuses this range or count; try a smaller --count";
	case EMBXSFAIL:
		return "the device reports an internal failure; check the device itself";
	case EMBXACK:
	case EMBXSBUSY:
		return "the device is busy; try again in a moment";
	case MODBUS_ENOBASE:
	case EMBBADEXC:
		return "the unit answered, but not as Modbus allows: check that the "
		       "unit id is this device's and that its firmware speaks Modbus";
	default:
		return "the device refused the request";
	}
}

const char *probe_explain(const struct probe_opts *o, int unit, int e,
                          const char *what, char *msg, size_t len)
{
	char where[FM_TEXT_MAX + 64];
	probe_where(o, unit, where, sizeof where);
	if (mb_errno_is_silence(e)) {
		explain_silence(o, unit, e, msg, len);
		return "no-answer";
	}
	if (mb_errno_is_exception(e)) {
		snprintf(msg, len, "unit %d answered %s with %s — %s", unit,
		         what, mb_strerror(e), exception_advice(o, e));
		return "exception";
	}
	if (mb_errno_is_link(e)) {
		if (o->bus.type == FM_BUS_MODBUS_TCP)
			snprintf(msg, len, "%s: the connection was lost (%s): some gateways "
			         "accept one client at a time (is `facmon run` connected to "
			         "it?) or close the connection on errors", where,
			         mb_strerror(e));
		else
			snprintf(msg, len, "%s: the serial port failed (%s): is the adapter "
			         "still plugged in?", where, mb_strerror(e));
		return "connection";
	}
	snprintf(msg, len, "%s: the answer to %s was garbled (%s): check the baud "
	         "rate, parity and stop bits, that no other master is on the line, "
	         "and (on TCP) that the port speaks Modbus TCP, not RTU over TCP",
	         where, what, mb_strerror(e));
	return "garbled";
}

void probe_explain_open(const struct probe_opts *o, const char *err,
                        char *msg, size_t len)
{
	if (o->bus.type == FM_BUS_MODBUS_RTU)
		snprintf(msg, len, "%s: check the device path (ls /dev/ttyUSB* "
		         "/dev/serial/by-id/), that the adapter is plugged in, and that "
		         "you may open it (group dialout)", err);
	else
		snprintf(msg, len, "%s: check the host and port (Modbus TCP is 502), that "
		         "the device or gateway is powered and on the network, and that "
		         "no firewall is in the way", err);
}

/* ---- SNMP -------------------------------------------------------------- */

static void snmp_target(const struct probe_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, strchr(o->snmp.host, ':') ? "[%s]:%d" : "%s:%d", o->snmp.host,
	         o->snmp.port);
}

void probe_snmp_where(const struct probe_opts *o, char *buf, size_t len)
{
	char target[FM_TEXT_MAX + 16];
	snmp_target(o, target, sizeof target);
	if (o->snmp.version == FM_SNMP_V3)
		snprintf(buf, len, "%s (SNMPv3 user %s, %s)", target, o->snmp.user,
		         probe_snmp_level_name(o->snmp.level));
	else
		snprintf(buf, len, "%s (SNMP v%s)", target,
		         probe_snmp_version_name(o->snmp.version));
}

/* ERROR without the "HOST:PORT: " the collector puts in front. */
static const char *without_target(const struct probe_opts *o, const char *error)
{
	char target[FM_TEXT_MAX + 16];
	snprintf(target, sizeof target, "%s:%d: ", o->snmp.host, o->snmp.port);
	size_t n = strlen(target);
	return strncmp(error, target, n) == 0 ? error + n : error;
}

const char *probe_snmp_explain_dead(const struct probe_opts *o, const char *error,
                                    char *msg, size_t len)
{
	static const char v3_options[] = "--user, --level, --auth-protocol with "
	                                 "--auth-passphrase-file, --priv-protocol with "
	                                 "--priv-passphrase-file";
	char where[FM_TEXT_MAX * 2];
	bool v3 = o->snmp.version == FM_SNMP_V3;
	int tries = o->snmp.retries + 1;
	probe_snmp_where(o, where, sizeof where);
	if (strstr(error, "SNMPv3 authentication or privacy failed")) {
		snprintf(msg, len, "%s answered, but %s; on this command line they are %s",
		         where, without_target(o, error), v3_options);
		return "v3-auth";
	}
	if (strstr(error, "no answer (timeout)")) {
		snprintf(msg, len, "no answer from %s to %d tr%s of %d ms: check the host and "
		         "port (SNMP agents listen on UDP 161), that SNMP is enabled on the "
		         "device and allows this host, that no firewall drops UDP on the way, "
		         "%s%s", where, tries, tries == 1 ? "y" : "ies", o->snmp.timeout_ms,
		         v3 ? "and the SNMPv3 settings (an agent does not answer what it "
		              "cannot authenticate or decrypt): "
		            : "and --version and --community (an agent does not answer a "
		              "community it does not know)",
		         v3 ? v3_options : "");
		return "no-answer";
	}
	if (strstr(error, "Unknown host")) {
		snprintf(msg, len, "%s: the host name does not resolve: check it, or give "
		         "the agent's IP address (%s)", where, without_target(o, error));
		return "connection";
	}
	if (v3)
		snprintf(msg, len, "%s: %s: check the host name and port, and the SNMPv3 "
		         "settings: %s", where, without_target(o, error), v3_options);
	else
		snprintf(msg, len, "%s: %s: check the host name and port, and that the agent "
		         "speaks SNMP version %s (--version)", where, without_target(o, error),
		         probe_snmp_version_name(o->snmp.version));
	return "connection";
}

const char *probe_snmp_advice(const struct probe_opts *o, const char *error)
{
	if (strstr(error, "noSuchObject") || strstr(error, "endOfMibView"))
		return "the agent does not have this object: check the OID (is its MIB "
		       "one this device implements? snmpwalk a prefix of it to see what "
		       "the agent has)";
	if (strstr(error, "noSuchInstance"))
		return "the agent has the object but not this instance: check the index "
		       "at the end of the OID (.0 for a scalar, the row number in a table)";
	if (strstr(error, "noSuchName"))
		return o->snmp.version == FM_SNMP_V1
		       ? "the agent does not have this OID (with SNMPv1 a request fails "
		         "as a whole on its first unknown OID)"
		       : "the agent does not have this OID";
	if (strstr(error, "wrong type"))
		return "the value is not a number: facmon reads INTEGER, Gauge32, "
		       "Counter32/64, TimeTicks, Unsigned32 and numbers sent as text; "
		       "check the OID";
	return "";
}

/* ---- JSON -------------------------------------------------------------- */

cJSON *probe_json_start(const struct probe_opts *o, int unit)
{
	char link[FM_TEXT_MAX + 32];
	cJSON *doc = cJSON_CreateObject();
	if (o->bus.type == FM_BUS_SNMP) {
		snmp_target(o, link, sizeof link);
		cJSON_AddStringToObject(doc, "transport", "snmp");
		cJSON_AddStringToObject(doc, "target", link);
		cJSON_AddStringToObject(doc, "version", probe_snmp_version_name(o->snmp.version));
		if (o->snmp.version == FM_SNMP_V3) {
			cJSON_AddStringToObject(doc, "user", o->snmp.user);
			cJSON_AddStringToObject(doc, "level", probe_snmp_level_name(o->snmp.level));
		}
		cJSON_AddNumberToObject(doc, "timeout_ms", o->snmp.timeout_ms);
		cJSON_AddNumberToObject(doc, "retries", o->snmp.retries);
		return doc;
	}
	mb_link_describe(&o->bus, link, sizeof link);
	cJSON_AddStringToObject(doc, "transport",
	                        o->bus.type == FM_BUS_MODBUS_RTU ? "rtu" : "tcp");
	cJSON_AddStringToObject(doc, "target", link);
	if (unit > 0)
		cJSON_AddNumberToObject(doc, "unit", unit);
	cJSON_AddNumberToObject(doc, "timeout_ms", o->bus.timeout_ms);
	return doc;
}

void probe_json_error(cJSON *doc, const char *kind, const char *message)
{
	cJSON *e = cJSON_AddObjectToObject(doc, "error");
	cJSON_AddStringToObject(e, "kind", kind);
	cJSON_AddStringToObject(e, "message", message);
}

void probe_json_print(cJSON *doc)
{
	char *text = cJSON_Print(doc);
	if (text)
		puts(text);
	free(text);
	cJSON_Delete(doc);
}

/* ---- values ------------------------------------------------------------ */

static bool is_integer_type(enum fm_value_type t)
{
	return t != FM_TYPE_FLOAT32 && t != FM_TYPE_FLOAT64;
}

void probe_format_value(const struct fm_point *p, double v, char *buf, size_t len)
{
	bool scaled = p->scale != 1.0 || p->offset != 0.0;
	if (!isfinite(v))
		snprintf(buf, len, "%s", isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
	else if (is_integer_type(p->type) && !scaled)
		snprintf(buf, len, "%.0f", v); /* exact, even past 2^53 */
	else if (p->type == FM_TYPE_FLOAT32)
		snprintf(buf, len, "%.7g", v);  /* what a float holds, no noise */
	else
		snprintf(buf, len, "%.15g", v);
}

void probe_fail(const char *msg)
{
	fprintf(stderr, "facmon probe: %s\n", msg);
}

int probe_give_up(cJSON *doc, const char *kind, const char *msg)
{
	probe_fail(msg);
	if (doc) {
		probe_json_error(doc, kind, msg);
		probe_json_print(doc);
	}
	return PROBE_EXIT_NO_ANSWER;
}
