/* explain.c - why a read failed, or a reading is not believed, and what to
 * try; shared by `facmon probe` and `facmon once` (see explain.h).
 *
 * Keyed by errno and Modbus exception code (libmodbus's EMBX* values);
 * the names come from mb_strerror (collectors/modbus_link.c), the one
 * table that names every exception code.
 */
#include "probe/explain.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <modbus.h>

#include "collectors/modbus_link.h"

void explain_probe_command(const struct fm_bus *bus, char *buf, size_t len)
{
	if (bus->type != FM_BUS_MODBUS_RTU) {
		snprintf(buf, len, strchr(bus->host, ':') ? "facmon probe tcp [%s]:%d"
		                                          : "facmon probe tcp %s:%d",
		         bus->host, bus->port);
		return;
	}
	char serial[96] = "";
	size_t n = 0;
	if (bus->baud != 9600)
		n += (size_t)snprintf(serial + n, sizeof serial - n, " --baud %d", bus->baud);
	if (bus->parity != 'N')
		n += (size_t)snprintf(serial + n, sizeof serial - n, " --parity %s",
		                      bus->parity == 'E' ? "even" : "odd");
	if (bus->data_bits != 8)
		n += (size_t)snprintf(serial + n, sizeof serial - n, " --data-bits %d",
		                      bus->data_bits);
	if (bus->stop_bits != 1)
		snprintf(serial + n, sizeof serial - n, " --stop-bits %d", bus->stop_bits);
	snprintf(buf, len, "facmon probe rtu %s%s", bus->device, serial);
}

/* "unit 1 at 127.0.0.1:502" / "unit 1 on /dev/ttyUSB0 9600 8N1". */
static void where(const struct explain_modbus *x, char *buf, size_t len)
{
	char link[FM_TEXT_MAX + 32];
	mb_link_describe(x->bus, link, sizeof link);
	snprintf(buf, len, "unit %d %s %s", x->unit,
	         x->bus->type == FM_BUS_MODBUS_RTU ? "on" : "at", link);
}

static void explain_silence(const struct explain_modbus *x, int e, char *msg, size_t len)
{
	char at[FM_TEXT_MAX + 64], probe[FM_TEXT_MAX + 128];
	const struct fm_bus *b = x->bus;
	where(x, at, sizeof at);
	explain_probe_command(b, probe, sizeof probe);
	if (e == EMBXGTAR || e == EMBXGPATH) {
		snprintf(msg, len, "no answer from unit %d: the gateway at %s:%d says %s: "
		         "check the unit id, the gateway's serial settings (baud, parity) "
		         "and its routing, the RS-485 wiring behind it (A/B swapped?) and "
		         "that the device is powered; `%s --scan` lists the unit ids that "
		         "answer", x->unit, b->host, b->port, mb_strerror(e), probe);
	} else if (b->type == FM_BUS_MODBUS_RTU) {
		snprintf(msg, len, "no answer from %s within %d ms: check the wiring "
		         "(A/B swapped?), the baud rate and parity, the unit id, "
		         "termination and that the device is powered; `%s --scan` lists "
		         "the unit ids that answer", at, b->timeout_ms, probe);
	} else {
		snprintf(msg, len, "no answer from %s within %d ms: the connection was "
		         "accepted, so the device or gateway is there but unit %d is "
		         "silent: check the unit id first, the likely cause (behind an "
		         "RS-485 gateway: the device's address on the line), and that the "
		         "device is powered, then the gateway's serial settings and "
		         "wiring; `%s --scan` lists the unit ids that answer",
		         at, b->timeout_ms, x->unit, probe);
	}
}

/* What a function-code exception suggests to the probe's command line. */
static const char *function_advice(enum fm_read_kind read)
{
	switch (read) {
	case FM_READ_HOLDING: return "it does not serve holding registers (FC03); try --read input";
	case FM_READ_INPUT: return "it does not serve input registers (FC04); try --read holding";
	case FM_READ_COIL: return "it does not serve coils (FC01); try --read discrete";
	default: return "it does not serve discrete inputs (FC02); try --read coil";
	}
}

/* What exception E suggests trying next. */
static const char *exception_advice(const struct explain_modbus *x, int e)
{
	bool map = e == EMBXILFUN || e == EMBXILADD || e == EMBXILVAL;
	if (map && x->audience != EXPLAIN_PROBE)
		return "the device does not have this point: the profile may not match "
		       "its model or firmware; check the device's register map, and in "
		       "the config override or leave out the point (drop = true)";
	switch (e) {
	case EMBXILFUN:
		return function_advice(x->read);
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
	default:
		return "the device refused the request";
	}
}

const char *explain_modbus_read(const struct explain_modbus *x, int e, const char *what,
                                char *msg, size_t len)
{
	char at[FM_TEXT_MAX + 64];
	where(x, at, sizeof at);
	if (mb_errno_is_silence(e)) {
		explain_silence(x, e, msg, len);
		return "no-answer";
	}
	if (mb_errno_is_exception(e)) {
		snprintf(msg, len, "unit %d answered %s with an exception: %s — %s", x->unit,
		         what, mb_strerror(e), exception_advice(x, e));
		return "exception";
	}
	if (mb_errno_is_link(e)) {
		if (x->bus->type == FM_BUS_MODBUS_TCP)
			snprintf(msg, len, "%s: the connection was lost (%s): some gateways "
			         "accept one client at a time (is `facmon run` connected to "
			         "it?) or close the connection on errors", at, mb_strerror(e));
		else
			snprintf(msg, len, "%s: the serial port failed (%s): is the adapter "
			         "still plugged in?", at, mb_strerror(e));
		return "connection";
	}
	snprintf(msg, len, "%s: the answer to %s was garbled (%s): check the baud "
	         "rate, parity and stop bits, that no other master is on the line, "
	         "and (on TCP) that the port speaks Modbus TCP, not RTU over TCP",
	         at, what, mb_strerror(e));
	return "garbled";
}

void explain_modbus_open(const struct fm_bus *bus, int e, const char *err, char *msg,
                         size_t len)
{
	if (bus->type == FM_BUS_MODBUS_RTU)
		snprintf(msg, len, "%s: check the device path (ls /dev/ttyUSB* "
		         "/dev/serial/by-id/), that the adapter is plugged in, and that "
		         "you may open it (group dialout)", err);
	else if (e == ECONNREFUSED)
		snprintf(msg, len, "%s: check the host and port (Modbus TCP is 502): the "
		         "host answered, but nothing accepts Modbus TCP on that port (a "
		         "wrong port, or the gateway's Modbus TCP server is off)", err);
	else if (e == ETIMEDOUT || e == EHOSTUNREACH || e == ENETUNREACH)
		snprintf(msg, len, "%s: check the host and port (Modbus TCP is 502): "
		         "nothing answered the connection, so the host is wrong, powered "
		         "off or not on the network, or a firewall drops the traffic", err);
	else
		snprintf(msg, len, "%s: check the host and port (Modbus TCP is 502), that "
		         "the device or gateway is powered and on the network, and that "
		         "no firewall is in the way", err);
}

/* ---- SNMP -------------------------------------------------------------- */

/* The settings to check, as the audience writes them. */
struct snmp_words {
	const char *v3;        /* the SNMPv3 settings */
	const char *v1v2;      /* version and community */
	const char *version;   /* the version alone */
};

static const struct snmp_words probe_words = {
	"--user, --level, --auth-protocol with --auth-passphrase-file, "
	"--priv-protocol with --priv-passphrase-file",
	"--version and --community", "--version",
};
static const struct snmp_words config_words = {
	"the device's user, security_level, auth_protocol with auth_passphrase_file, "
	"priv_protocol with priv_passphrase_file",
	"the device's version and community", "the device's version",
};

/* ERROR without the "HOST:PORT: " the collector puts in front. */
static const char *without_target(const struct fm_snmp_conf *s, const char *error)
{
	char target[FM_TEXT_MAX + 16];
	snprintf(target, sizeof target, "%s:%d: ", s->host, s->port);
	size_t n = strlen(target);
	return strncmp(error, target, n) == 0 ? error + n : error;
}

static const char *version_text(enum fm_snmp_version v)
{
	return v == FM_SNMP_V1 ? "1" : v == FM_SNMP_V2C ? "2c" : "3";
}

const char *explain_snmp_dead(const struct fm_snmp_conf *s, enum explain_for audience,
                              const char *where, int tries, const char *error,
                              char *msg, size_t len)
{
	const struct snmp_words *w = audience == EXPLAIN_CONFIG ? &config_words : &probe_words;
	const char *on_this = audience == EXPLAIN_CONFIG ? "in the config they are"
	                                                 : "on this command line they are";
	bool v3 = s->version == FM_SNMP_V3;
	if (strstr(error, "SNMPv3 authentication or privacy failed")) {
		snprintf(msg, len, "%s answered, but %s; %s %s", where,
		         without_target(s, error), on_this, w->v3);
		return "v3-auth";
	}
	if (strstr(error, "no answer (timeout)")) {
		snprintf(msg, len, "no answer from %s to %d tr%s of %d ms: check the host and "
		         "port (SNMP agents listen on UDP 161), that SNMP is enabled on the "
		         "device and allows this host, that no firewall drops UDP on the way, "
		         "%s%s", where, tries, tries == 1 ? "y" : "ies", s->timeout_ms,
		         v3 ? "and the SNMPv3 settings (an agent does not answer what it "
		              "cannot authenticate or decrypt): "
		            : "and ",
		         v3 ? w->v3 : "");
		if (!v3) {
			size_t n = strlen(msg);
			snprintf(msg + n, len - n, "%s (an agent does not answer a community "
			         "it does not know)", w->v1v2);
		}
		return "no-answer";
	}
	if (strstr(error, "Unknown host")) {
		snprintf(msg, len, "%s: the host name does not resolve: check it, or give "
		         "the agent's IP address (%s)", where, without_target(s, error));
		return "connection";
	}
	if (v3)
		snprintf(msg, len, "%s: %s: check the host name and port, and the SNMPv3 "
		         "settings: %s", where, without_target(s, error), w->v3);
	else
		snprintf(msg, len, "%s: %s: check the host name and port, and that the agent "
		         "speaks SNMP version %s (%s)", where, without_target(s, error),
		         version_text(s->version), w->version);
	return "connection";
}

const char *explain_snmp_advice(const struct fm_snmp_conf *s, const char *error)
{
	if (strstr(error, "noSuchObject") || strstr(error, "endOfMibView"))
		return "the agent does not have this object: check the OID (is its MIB "
		       "one this device implements? snmpwalk a prefix of it to see what "
		       "the agent has)";
	if (strstr(error, "noSuchInstance"))
		return "the agent has the object but not this instance: check the index "
		       "at the end of the OID (.0 for a scalar, the row number in a table)";
	if (strstr(error, "noSuchName"))
		return s->version == FM_SNMP_V1
		       ? "the agent does not have this OID (with SNMPv1 a request fails "
		         "as a whole on its first unknown OID)"
		       : "the agent does not have this OID";
	if (strstr(error, "wrong type"))
		return "the value is not a number: facmon reads INTEGER, Gauge32, "
		       "Counter32/64, TimeTicks, Unsigned32 and numbers sent as text; "
		       "check the OID";
	return "";
}

/* ---- implausible readings ---------------------------------------------- */

bool explain_order_suspect(const struct fm_point *p)
{
	return !p->oid[0] && p->bit < 0 &&
	       (p->type == FM_TYPE_INT32 || p->type == FM_TYPE_UINT32 ||
	        p->type == FM_TYPE_FLOAT32);
}

/* " --scale 0.1 --offset -17.8": so the probe shows what the point reads. */
static void scale_options(const struct fm_point *p, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	if (p->scale != 1.0)
		n += (size_t)snprintf(buf, len, " --scale %.15g", p->scale);
	if (p->offset != 0.0 && n < len)
		snprintf(buf + n, len - n, " --offset %.15g", p->offset);
}

void explain_implausible(const struct fm_bus *bus, const struct fm_device *d,
                         const struct fm_point *p, char *buf, size_t len)
{
	char probe[FM_TEXT_MAX + 128], scale[80];
	if (!bus || p->oid[0]) {
		snprintf(buf, len, "check the point's OID and scale: `facmon probe snmp "
		         "%s:%d %s` (with the device's credentials) shows what the agent "
		         "sends", d->snmp.host, d->snmp.port, p->oid);
		return;
	}
	explain_probe_command(bus, probe, sizeof probe);
	scale_options(p, scale, sizeof scale);
	if (explain_order_suspect(p))
		snprintf(buf, len, "try: %s -u %d -r %s -a %u%s --all-orders (the word "
		         "order may differ from the profile's %s)", probe, d->unit,
		         read_kind_name(p->read), p->address, scale, word_order_name(p->order));
	else
		snprintf(buf, len, "check the point's address, type and scale: %s -u %d "
		         "-r %s -a %u -t %s%s", probe, d->unit, read_kind_name(p->read),
		         p->address, value_type_name(p->type), scale);
}
