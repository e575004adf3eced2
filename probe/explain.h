/* explain.h - why a read failed, or why a reading is not believed, and
 * what to try: the words `facmon probe` and `facmon once` share.
 *
 * Owns: turning a failure (a libmodbus errno or Modbus exception code, a
 * bus that could not be opened, the SNMP collector's words for an agent
 * that did not answer or answered an OID with an error) into one sentence
 * a facility engineer can act on, and the hint for a reading outside its
 * point's plausible range (valid_min / valid_max): the probe command that
 * shows the registers, in every word order where that is the likely cause.
 * The Modbus classification is modbus_link.h's, so the agent, the probe
 * and `once` agree on what an error means; this only words it. What to
 * try names either the probe's options or the config's keys (EXPLAIN_FOR).
 */
#ifndef FACMON_EXPLAIN_H
#define FACMON_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* Who reads the advice: the probe's command line (a plain read), the
 * probe reading a profile, or a config (`facmon once`): a register map
 * that differs is the command line's mistake in the first case, the
 * profile's in the others. */
enum explain_for { EXPLAIN_PROBE, EXPLAIN_PROBE_PROFILE, EXPLAIN_CONFIG };

/* A failed Modbus read: UNIT on BUS, asked for READ (for the function
 * code's advice). */
struct explain_modbus {
	const struct fm_bus *bus;
	int unit;
	enum fm_read_kind read;
	enum explain_for audience;
};

/* What failed read errno E of WHAT ("input 1..2") means, with what to
 * check, in MSG (one paragraph); returns a short kind for JSON:
 * "no-answer", "exception", "connection", "garbled". */
const char *explain_modbus_read(const struct explain_modbus *x, int e, const char *what,
                                char *msg, size_t len);

/* BUS could not be opened: ERR is mb_link_open's message, E the errno it
 * left (0: not known). MSG gets ERR with what to check. */
void explain_modbus_open(const struct fm_bus *bus, int e, const char *err, char *msg,
                         size_t len);

/* "facmon probe tcp 192.0.2.10:502" / "facmon probe rtu /dev/ttyUSB0
 * --baud 19200 --parity even": the start of a probe of BUS, with its
 * non-default settings. */
void explain_probe_command(const struct fm_bus *bus, char *buf, size_t len);

/* An SNMP agent answered nothing; WHERE describes it ("192.0.2.20:161
 * (SNMP v2c)"), ERROR is the collector's words ("HOST:PORT: no answer
 * (timeout)"), S its settings (TRIES tries of S->timeout_ms each). MSG
 * gets what to check; returns "no-answer", "v3-auth" or "connection". */
const char *explain_snmp_dead(const struct fm_snmp_conf *s, enum explain_for audience,
                              const char *where, int tries, const char *error,
                              char *msg, size_t len);

/* What to check when the agent answered an OID with ERROR (the
 * collector's words, "1.3.6.1...: noSuchInstance"); "" when nothing
 * useful can be added. */
const char *explain_snmp_advice(const struct fm_snmp_conf *s, const char *error);

/* True when a reading of P far outside its plausible range is likely a
 * word order that differs (a value of two registers). */
bool explain_order_suspect(const struct fm_point *p);

/* The hint for a reading of point P of device D (on BUS; NULL for SNMP)
 * outside P's valid range: "try: facmon probe tcp H:P -u 1 -r input -a 0
 * --all-orders" when the word order is suspect, else a probe of the
 * point's registers or OID and what to check. */
void explain_implausible(const struct fm_bus *bus, const struct fm_device *d,
                         const struct fm_point *p, char *buf, size_t len);

#endif
