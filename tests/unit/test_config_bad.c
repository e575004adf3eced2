/* test_config_bad.c - the config loader on bad files, and its small helpers.
 *
 * Each bad file in tests/configs/bad/ holds one kind of mistake; the table
 * says which file and line the diagnostic must name and what its message
 * must say. The files of tests/configs/warn/ load, with the warnings their
 * table says. A failed row prints what was got and what was wanted, and the
 * other rows still run. Also: a missing file, diagnostics appended across
 * loads, loading one profile, and the names and lookups of config.h.
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

/* ---- bad files ---- */

struct bad_case {
	const char *file;  /* under tests/configs/bad/ */
	const char *at;    /* file the diagnostic names, if not FILE */
	int line;
	const char *want;  /* substring of the message */
	int count;         /* diagnostics the file gives in all; -1: any */
};

static const struct bad_case bad_cases[] = {
	{ "syntax.cfg", NULL, 3, "syntax error", 1 },
	{ "unknown-key-top.cfg", NULL, 9, "unknown top-level key 'alerts'", 1 },
	{ "unknown-key-agent.cfg", NULL, 5, "agent: unknown key 'sight'", 1 },
	{ "self-health.cfg", NULL, 5, "agent.disk_min_free_pct: 51 is out of range (0..50)", 4 },
	{ "self-health.cfg", NULL, 6, "agent.clock_unsync_grace: -1 is out of range (0..86400)", 4 },
	{ "self-health.cfg", NULL, 7,
	  "agent.outbox_alert_after: expected an integer, got a string", 4 },
	{ "self-health.cfg", NULL, 8,
	  "agent.collector_hang_after: 0 is out of range (1..86400)", 4 },
	{ "unknown-key-mqtt.cfg", NULL, 11, "mqtt: unknown key 'prot' (did you mean 'port'?)", 1 },
	{ "reconnect-max.cfg", NULL, 5, "mqtt.reconnect_max: 0 is out of range (1..3600)", 1 },
	{ "unknown-key-tls.cfg", NULL, 10, "mqtt.tls: unknown key 'ca_path'", 1 },
	{ "unknown-key-bus.cfg", NULL, 6, "buses[0] (gw): unknown key 'hots' (did you mean 'host'?)", 1 },
	{ "bus-key-other-type.cfg", NULL, 5, "buses[0] (gw): device is not a modbus-tcp key", 1 },
	{ "bus-unknown-type.cfg", NULL, 4, "buses[0] (gw).type: 'modbus-udp' is not one of modbus-tcp, modbus-rtu", 1 },
	{ "unknown-key-device.cfg", NULL, 5, "devices[0] (d1): unknown key 'unti' (did you mean 'unit'?)", 1 },
	{ "unknown-key-point.cfg", NULL, 7, "devices[0] (d1).points[0] (p1): unknown key 'scaling'", 1 },
	{ "unknown-key-rule.cfg", NULL, 10, "rules[0] (r1): unknown key 'severtiy' (did you mean 'severity'?)", 1 },
	{ "wrong-type-string.cfg", NULL, 3, "agent.site: expected a string, got an integer", 1 },
	{ "wrong-type-float-for-int.cfg", NULL, 5, "buses[0] (gw).port: expected an integer, got a float", 1 },
	{ "wrong-type-section.cfg", NULL, 4, "devices: expected a list of groups", 1 },
	{ "missing-key-rule.cfg", NULL, 9, "rules[0] (r1): missing required key 'point'", 1 },
	{ "missing-agent.cfg", NULL, 0, "missing required group 'agent'", 1 },
	{ "outputs-exec.cfg", NULL, 4, "outputs.exec.command: 'page.sh' is not an absolute "
	  "path (it is run without a shell", 3 },
	{ "outputs-exec.cfg", NULL, 4, "outputs.exec.timeout: 0 is out of range (1..300)", 3 },
	{ "outputs-exec.cfg", NULL, 5, "outputs: unknown key 'sms'", 3 },
	{ "outputs-http.cfg", NULL, 4, "outputs.http.enabled: expected a boolean", 3 },
	{ "outputs-http.cfg", NULL, 4, "outputs.http.listen: 'localhost:9707' is not "
	  "ADDRESS:PORT with a numeric address (\"127.0.0.1:9707\", \"[::1]:9707\")", 3 },
	{ "outputs-http.cfg", NULL, 5, "outputs.http: unknown key 'port'", 3 },
	{ "outputs-http-port.cfg", NULL, 3, "outputs.http.listen: '127.0.0.1:70000' is not "
	  "ADDRESS:PORT", 1 },
	{ "outputs-exec-missing.cfg", NULL, 3, "outputs.exec.command: /nonexistent/facmon-page: "
	  "cannot be run: No such file or directory", 1 },
	{ "outputs-alertmanager.cfg", NULL, 6, "outputs.alertmanager.url[1]: 'ftp://am.example' "
	  "is not an http:// or https:// URL of an Alertmanager", 5 },
	{ "outputs-alertmanager.cfg", NULL, 7, "outputs.alertmanager.url[2]: 'http:///api' is not", 5 },
	{ "outputs-alertmanager.cfg", NULL, 8,
	  "outputs.alertmanager.timeout_ms: 50 is out of range (100..60000)", 5 },
	{ "outputs-alertmanager.cfg", NULL, 9, "outputs.alertmanager.resend: 5 is out of range "
	  "(10..3600)", 5 },
	{ "outputs-alertmanager.cfg", NULL, 10, "outputs.alertmanager.min_firing: 601 is out of "
	  "range (0..600)", 5 },
	{ "outputs-alertmanager-url.cfg", NULL, 5, "outputs.alertmanager.url: an empty list; give "
	  "at least one URL", 1 },
	{ "outputs-alertmanager-many.cfg", NULL, 6, "outputs.alertmanager.url[4]: at most 4 "
	  "Alertmanagers", 2 },
	{ "outputs-alertmanager-many.cfg", NULL, 6, "outputs.alertmanager.url[5]: expected a string",
	  2 },
	{ "duplicate-bus.cfg", NULL, 5, "buses[1].name: duplicate bus name 'gw' (first at ", 1 },
	{ "duplicate-bus.cfg", NULL, 5, "/bad/duplicate-bus.cfg:4)", 1 },
	{ "duplicate-device.cfg", NULL, 7, "devices[1].name: duplicate device name 'd1'", 1 },
	{ "duplicate-device.cfg", NULL, 7, "/bad/duplicate-device.cfg:5)", 1 },
	{ "duplicate-point.cfg", NULL, 8, "devices[0] (d1).points[1].name: duplicate point name 'p1'", 1 },
	{ "duplicate-point.cfg", NULL, 8, "/bad/duplicate-point.cfg:7)", 1 },
	{ "duplicate-rule.cfg", NULL, 10, "rules[1].name: duplicate rule name 'r1'", 1 },
	{ "rule-unknown-point.cfg", NULL, 9, "rules[0] (r1).point: unknown point 'd1.p2' (d1 has p1)", 1 },
	{ "rule-unknown-device.cfg", NULL, 9, "rules[0] (r1).point: unknown device 'd9'", 1 },
	{ "rule-bad-point-ref.cfg", NULL, 9, "'p1' is not of the form <device>.<point>", 1 },
	{ "device-unknown-bus.cfg", NULL, 6, "devices[0] (d1).bus: unknown bus 'gw2'", 1 },
	{ "unknown-profile.cfg", NULL, 6,
	  "unknown profile 'no-such-model' (no no-such-model.cfg in ", 1 },
	{ "port-range.cfg", NULL, 13, "mqtt.port: 70000 is out of range (1..65535)", 2 },
	{ "port-range.cfg", NULL, 5, "buses[0] (gw).port: 0 is out of range", 2 },
	{ "history-days.cfg", NULL, 3, "agent.history_days: 0 is out of range (1..3650)", 1 },
	{ "history-days-max.cfg", NULL, 2, "agent.history_days: 3651 is out of range (1..3650)", 1 },
	{ "history-days-float.cfg", NULL, 2,
	  "agent.history_days: expected an integer, got a float (90.0)", 1 },
	{ "unit-0.cfg", NULL, 6, "devices[0] (d1).unit: 0 is out of range", 1 },
	{ "unit-248.cfg", NULL, 6, "devices[0] (d1).unit: 248 is out of range", 1 },
	{ "max-registers-0.cfg", NULL, 5, "devices[0] (d1).max_registers: 0 is out of range", 1 },
	{ "traps-v3-user.cfg", NULL, 6, "snmp_traps.v3_users[0].engine_id: 'xyz' is not an engine ID", 2 },
	{ "traps-v3-user.cfg", NULL, 6, "snmp_traps.v3_users[0]: missing required key 'user'", 2 },
	{ "drop-unknown.cfg", NULL, 6, "devices[0] (d1).points: drop = true, but xy-md02 has no point 'temprature' to drop", 2 },
	{ "drop-unknown.cfg", NULL, 9, "devices[1] (d2).points[0] (humidity).address: a dropped point takes only its name", 2 },
	{ "rows-modbus.cfg", NULL, 7, "points[0] (p1).rows: only SNMP points (with an oid) have table rows", 1 },
	{ "rows-names.cfg", NULL, 8, "points[0] (a).row_names: expected an array of 2 names, one per row", 2 },
	{ "rows-names.cfg", NULL, 10, "points[2].name: duplicate point name 'v_1' (first at", 2 },
	{ "rows-all.cfg", NULL, 6, "points[0] (t).rows: only SNMP points (with an oid) have table rows", 7 },
	{ "rows-all.cfg", NULL, 10, "points[0] (a).max_rows: 0 is out of range (1..64)", 7 },
	{ "rows-all.cfg", NULL, 11, "points[1] (b).max_rows: 65 is out of range (1..64)", 7 },
	{ "rows-all.cfg", NULL, 13, "points[2] (c).row_names: with rows = \"all\", row_names is the OID", 7 },
	{ "rows-all.cfg", NULL, 14, "points[3] (d).row_names: expected an array of 2 names, one per row (an OID", 7 },
	{ "rows-all.cfg", NULL, 15, "points[4] (e).max_rows: goes with rows", 7 },
	{ "rows-all.cfg", NULL, 16, "points[5] (f).rows: expected \"all\" (walk the column)", 7 },
	{ "coalesce-not-bool.cfg", NULL, 5, "devices[0] (d1).max_gap: 200 is out of range", 2 },
	{ "coalesce-not-bool.cfg", NULL, 6, "devices[0] (d1).coalesce: expected a boolean", 2 },
	{ "address-65536.cfg", NULL, 8, "devices[0] (d1).points[0] (p1).address: 65536 is out of range", 1 },
	{ "register-overflow.cfg", NULL, 8, "65534 with register count 4 (float64)", 1 },
	{ "bit-on-32bit.cfg", NULL, 8, "points[0] (p1).bit: bit needs a 16-bit type", 1 },
	{ "bit-on-coil.cfg", NULL, 7, "bit is only for holding and input registers", 1 },
	{ "coil-not-bool.cfg", NULL, 7, "the type must be bool, not uint16", 1 },
	{ "scale-zero.cfg", NULL, 7, "points[0] (p1).scale: must not be 0", 1 },
	{ "clear-wrong-side.cfg", NULL, 10, "rules[0] (hot).clear: 32 is above the threshold 30", 2 },
	{ "clear-wrong-side.cfg", NULL, 12, "rules[1] (dry).clear: 25 is below the threshold 30", 2 },
	{ "clear-with-equals.cfg", NULL, 9, "clear is only allowed with above or below", 1 },
	{ "two-conditions.cfg", NULL, 9, "'above' and 'below' both given", 1 },
	{ "no-condition.cfg", NULL, 9, "rules[0] (r1): missing a condition", 1 },
	{ "equals-string.cfg", NULL, 9, "point 'd1.p1' has no enum; equals needs a number", 1 },
	{ "rule-comm-name.cfg", NULL, 9, "'d1.comm' ends in '.comm', which is reserved", 1 },
	{ "rules-new-kinds.cfg", NULL, 6, "devices[0] (d1).stale_after: 0 is out of range", 14 },
	{ "rules-new-kinds.cfg", NULL, 8, "points[1] (zones).bits.z2: bit 32; bits are 0 to 31", 14 },
	{ "rules-new-kinds.cfg", NULL, 9, "points[2] (t).valid_max: -10 is below valid_min 50", 14 },
	{ "rules-new-kinds.cfg", NULL, 10, "points[3] (h).sentinels: expected an array of 1 to 4 raw values", 14 },
	{ "rules-new-kinds.cfg", NULL, 13, "rules[0] (r1): missing required key 'within'", 14 },
	{ "rules-new-kinds.cfg", NULL, 14, "rules[1] (r2).within: within goes with rise or fall", 14 },
	{ "rules-new-kinds.cfg", NULL, 15, "rules[2] (r3).fall: 0; how far the value moves must be more than 0", 14 },
	{ "rules-new-kinds.cfg", NULL, 16, "rules[3] (r4).mask: 0 is not a 32-bit mask with at least one bit set", 14 },
	{ "rules-new-kinds.cfg", NULL, 17, "rules[4] (r5).all[1].mask: a mask makes one alert per bit", 14 },
	{ "rules-new-kinds.cfg", NULL, 18, "rules[5] (r6).any: expected 2 to 4 conditions, got 1", 14 },
	{ "rules-new-kinds.cfg", NULL, 20, "rules[6] (r7): 'all' and 'any' both given", 14 },
	{ "rules-new-kinds.cfg", NULL, 21, "rules[7] (r8).point: a rule with all has its conditions inside it", 14 },
	{ "rules-new-kinds.cfg", NULL, 22, "rules[8] (r9).clear_for: -1 is out of range", 14 },
	{ "rules-new-kinds.cfg", NULL, 23, "rules[9] (facmon.clock).name: names starting 'facmon.' are reserved", 14 },
	{ "silence-never-matches.cfg", NULL, 5, "silences[0].match: 'rack a.*' can never match: "
	  "alert names are of A-Z a-z 0-9 _ - . (and ' ' is none of them)", 3 },
	{ "silence-never-matches.cfg", NULL, 6, "silences[1].match: 'rack-a/temp' can never match", 3 },
	{ "silence-never-matches.cfg", NULL, 7, "silences[2].match: must not be empty", 3 },
	{ "silences.cfg", NULL, 5, "silences[0].start: '2026-11-23 01:00' is not a time like", 4 },
	{ "silences.cfg", NULL, 6, "silences[1].end: is not after start; a maintenance window must end", 4 },
	{ "silences.cfg", NULL, 7, "silences[2]: missing required key 'why'", 4 },
	{ "silences.cfg", NULL, 8, "silences[3].end: '2026-11-23T02:00:00+25:00' is not a time", 4 },
	{ "rules-combined-points.cfg", NULL, 12, "rules[0] (r1).all[0].point: unknown point 'd1.p9' (d1 has p1)", 3 },
	{ "rules-combined-points.cfg", NULL, 12, "rules[0] (r1).all[1].equals: 'of' is not a value of d1.p1 (off, on)", 3 },
	{ "rules-combined-points.cfg", NULL, 13, "rules[1] (r2).any[0].point: temp is a walked table column", 3 },
	{ "controls.cfg", NULL, 10, "rules[0] (r1).controls: 9 control IDs, at most 8", 2 },
	{ "controls.cfg", NULL, 12, "rules[1] (r2).controls[0]: 'a-control-id-too-long' must be 1-15 bytes", 2 },
	{ "controls-form.cfg", NULL, 4, "agent.strict_controls: expected a boolean, got a string", 5 },
	{ "controls-form.cfg", NULL, 11, "rules[0] (r1).controls[0]: '' must be 1-15 bytes", 5 },
	{ "controls-form.cfg", NULL, 12, "rules[1] (r2).controls[0]: '設 46' has a space in it; "
	  "control IDs have none (did you mean '設46'?)", 5 },
	{ "controls-form.cfg", NULL, 13, "rules[2] (r3).controls[0]: '設\u3000" "46' has a space in "
	  "it; control IDs have none (did you mean '設46'?)", 5 },
	{ "controls-form.cfg", NULL, 14, "rules[3] (r4).controls[0]: contains a control character "
	  "(byte 2)", 5 },
	/* agent.strict_controls: a control ID not in the catalog is an error */
	{ "controls-strict.cfg", NULL, 11, "rules[0] (room-temp-high).controls[1]: '設8O' is not a "
	  "control ID facmon knows (FISC 設1..設138); did you mean '設80'? (agent.strict_controls)", 1 },
	{ "severity.cfg", NULL, 9, "'fatal' is not one of info, warning, major, critical", 1 },
	{ "bad-site.cfg", NULL, 3, "agent.site: 'Tokyo DC' is not a valid name", 1 },
	{ "topic-prefix.cfg", NULL, 10, "'facmon/#' must not contain the MQTT wildcards", 1 },
	{ "baud.cfg", NULL, 5, "buses[0] (gw).baud: 1000 is not one of 1200, 2400", 2 },
	{ "baud.cfg", NULL, 5, "buses[0] (gw).parity: 'mark' is not one of none, even, odd", 2 },
	{ "no-points.cfg", NULL, 5, "devices[0] (d1): no points", 1 },
	/* two devices use the broken profile: its problems are told once, at its own lines */
	{ "profile-problem.cfg", "profiles/broken.cfg", 3, "profile: missing required key 'model'", 2 },
	{ "profile-problem.cfg", "profiles/broken.cfg", 7,
	  "profile.points[1] (bad).address: 70000 is out of range (0..65535)", 2 },
	/* SNMP devices */
	{ "snmp-version.cfg", NULL, 5, "devices[0] (ups1).version: '2' is not one of 1, 2c, 3", 1 },
	{ "snmp-version-number.cfg", NULL, 5, "devices[0] (ups1).version: expected a string (\"1\", \"2c\" or \"3\"), got an integer", 1 },
	{ "snmp-no-host.cfg", NULL, 4, "devices[0] (ups1): missing required key 'host'", 1 },
	{ "snmp-v3-no-user.cfg", NULL, 4, "devices[0] (ups1): missing required key 'user'", 1 },
	{ "snmp-v3-no-priv-file.cfg", NULL, 5, "devices[0] (ups1): missing required key 'priv_passphrase_file'", 1 },
	{ "snmp-passphrase-missing.cfg", NULL, 6, "devices[0] (ups1).auth_passphrase_file: ", 1 },
	{ "snmp-passphrase-missing.cfg", NULL, 6,
	  "/bad/../secrets/no-such.auth: cannot read: No such file or directory", 1 },
	{ "snmp-passphrase-world-readable.cfg", NULL, 7,
	  "priv_passphrase_file: ", 1 },
	{ "snmp-passphrase-world-readable.cfg", NULL, 7,
	  "/secrets/world-readable.auth is readable by every user (mode 0644); chmod 600 it", 1 },
	{ "snmp-v3-community.cfg", NULL, 6, "devices[0] (ups1).community: community is not used by SNMPv3", 1 },
	{ "snmp-v2c-v3-key.cfg", NULL, 5, "devices[0] (ups1).user: user is an SNMPv3 key; this device uses version 2c", 1 },
	{ "snmp-noauth-auth-key.cfg", NULL, 7,
	  "auth_protocol is not used with security_level noAuthNoPriv", 1 },
	{ "snmp-auth-protocol.cfg", NULL, 6,
	  "'SHA1' is not one of SHA, SHA-224, SHA-256, SHA-384, SHA-512, MD5", 1 },
	{ "snmp-bus.cfg", NULL, 6, "devices[0] (ups1).bus: snmp devices have no bus; they are polled over UDP at host:port", 1 },
	{ "snmp-modbus-device-keys.cfg", NULL, 6, "devices[0] (ups1).unit: snmp devices have no unit id", 2 },
	{ "snmp-modbus-device-keys.cfg", NULL, 7, "devices[0] (ups1).max_gap: max_gap is a Modbus key", 2 },
	{ "modbus-device-snmp-key.cfg", NULL, 6, "devices[0] (d1).community: community is a key of snmp devices", 1 },
	{ "modbus-device-snmp-bus.cfg", NULL, 9, "devices[1] (d1).bus: 'snmp' is the implicit bus of SNMP devices", 1 },
	{ "bus-named-snmp.cfg", NULL, 4, "buses[0] (snmp).name: bus name 'snmp' is reserved for SNMP devices", 1 },
	{ "bus-type-snmp.cfg", NULL, 4, "buses[0] (ups-net).type: snmp devices need no bus", 1 },
	/* SNMP points and profiles */
	{ "snmp-point-no-oid.cfg", NULL, 6, "devices[0] (ups1).points[0] (load): missing required key 'oid'", 1 },
	{ "snmp-oid-not-numeric.cfg", NULL, 8,
	  "points[2] (battery).oid: 'ups.battery' is not a numeric OID (1.3.6.1...)", 1 },
	{ "snmp-oid-forms.cfg", NULL, 7, "points[0] (a).oid: '1' is not a numeric OID "
	  "(1.3.6.1...); an OID has at least two arcs", 4 },
	{ "snmp-oid-forms.cfg", NULL, 8, "points[1] (b).oid: '1.3.6.4294967296' is not a numeric "
	  "OID (1.3.6.1...); each arc is at most 4294967295", 4 },
	{ "snmp-oid-forms.cfg", NULL, 9, "points[2] (c).oid: '1.3.6.' is not a numeric OID", 4 },
	{ "snmp-oid-forms.cfg", NULL, 10, "points[3] (d).oid: is too long (143 bytes, at most 127)", 4 },
	{ "snmp-point-modbus-key.cfg", NULL, 7, "devices[0] (ups1).points[0] (load).type: type is a Modbus key; SNMP points take oid", 1 },
	{ "modbus-point-oid.cfg", NULL, 7, "devices[0] (d1).points[0] (p1).oid: oid is an SNMP key; Modbus points take read and address", 1 },
	{ "profile-other-kind.cfg", NULL, 7, "devices[0] (rack-a).profile: profile test-ups-mib has SNMP points, device rack-a is a modbus device", 2 },
	{ "profile-other-kind.cfg", NULL, 9, "devices[1] (ups1).profile: profile test-crac has Modbus points, device ups1 is an snmp device", 2 },
	/* most of its points are Modbus: the SNMP one is the odd one out */
	{ "profile-mixed.cfg", "profiles/mixed.cfg", 6, "profile.points[1] (b).oid: oid is an "
	  "SNMP key; Modbus points take read and address", 1 },
	/* enums, and rules that compare with their names */
	{ "enum-not-group.cfg", NULL, 8, "points[0] (state).enum: expected a group of names and their "
	  "values { normal = 3; battery = 5; }, got an array", 1 },
	{ "enum-duplicate-value.cfg", NULL, 9,
	  "points[0] (state).enum.running: 1 is already named 'on'", 1 },
	{ "enum-items.cfg", NULL, 9, "points[0] (a).enum.on: expected an integer, got a string", 4 },
	{ "enum-items.cfg", NULL, 11, "points[1] (b).enum.a_name_of_thirty_two_characters_: the "
	  "name is too long (32 bytes, at most 31)", 4 },
	{ "enum-items.cfg", NULL, 13, "points[2] (c).enum: 25 values, at most 24", 4 },
	{ "enum-items.cfg", NULL, 18, "points[3] (d).enum: enum names raw integer readings; it "
	  "cannot be combined with scale or offset", 4 },
	{ "rule-enum-unknown.cfg", NULL, 13, "rules[0] (on-battery).equals: 'batery' is not a value of ups1.output_source (other, none, normal, bypass, battery, booster, reducer)", 1 },
	/* the broker connection: TLS and credentials */
	{ "tls-no-ca.cfg", NULL, 11, "mqtt.tls: missing ca_file, the CA certificate (PEM) that "
	  "signed the broker's certificate; TLS always verifies the broker (to connect without "
	  "TLS, remove the tls group)", 1 },
	{ "tls-ca-empty.cfg", NULL, 11, "mqtt.tls.ca_file: is empty; it names the CA certificate", 1 },
	{ "tls-cert-without-key.cfg", NULL, 12, "mqtt.tls.cert_file: a client certificate needs "
	  "its private key: add key_file", 1 },
	{ "tls-key-without-cert.cfg", NULL, 12, "mqtt.tls.key_file: a private key needs its "
	  "client certificate: add cert_file", 1 },
	{ "tls-files.cfg", NULL, 11, "mqtt.tls.ca_file: ", 3 },
	{ "tls-files.cfg", NULL, 11, "/bad/../tls/no-such-ca.pem: cannot read: No such file or "
	  "directory", 3 },
	{ "tls-files.cfg", NULL, 12, "/bad/../tls is not a regular file", 3 },
	{ "tls-files.cfg", NULL, 13, "mqtt.tls.key_file: ", 3 },
	{ "tls-files.cfg", NULL, 13, "/bad/../secrets/world-readable.auth is readable by every "
	  "user (mode 0644); chmod 600 it", 3 },
	{ "password-without-username.cfg", NULL, 10, "mqtt.password_file: a password needs a "
	  "user name: set mqtt.username", 1 },
	{ "password-file-missing.cfg", NULL, 11, "mqtt.password_file: ", 1 },
	{ "password-file-missing.cfg", NULL, 11, "/bad/../secrets/no-such.pass: cannot read: "
	  "No such file or directory", 1 },
	{ "password-file-world-readable.cfg", NULL, 11, "mqtt.password_file: ", 1 },
	{ "password-file-world-readable.cfg", NULL, 11, "/bad/../secrets/world-readable.auth is "
	  "readable by every user (mode 0644); chmod 600 it", 1 },
	/* the trap listener */
	{ "traps-unknown-key.cfg", NULL, 8, "snmp_traps: unknown key 'adress'", 1 },
	{ "traps-port.cfg", NULL, 8, "snmp_traps.port: 70000 is out of range (1..65535)", 1 },
	{ "traps-listen.cfg", NULL, 7, "snmp_traps.listen: 'any' is not an IPv4 address", 1 },
	{ "traps-no-snmp-device.cfg", NULL, 8,
	  "snmp_traps: there are no snmp devices; traps are accepted only from their hosts", 1 },
	{ "unknown-key-suggest.cfg", NULL, 6,
	  "devices[0] (rack-a): unknown key 'intervall' (did you mean 'interval'?)", 7 },
	{ "unknown-key-suggest.cfg", NULL, 7, "devices[0] (rack-a).points[0] (p1): missing "
	  "required key 'address'", 7 },
	{ "unknown-key-suggest.cfg", NULL, 7, "devices[0] (rack-a).points[0] (p1): unknown "
	  "key 'adress' (did you mean 'address'?)", 7 },
	{ "unknown-key-suggest.cfg", NULL, 8,
	  "devices[1] (ups1): unknown key 'comunity' (did you mean 'community'?)", 7 },
	{ "unknown-key-suggest.cfg", NULL, 9, "devices[1] (ups1): unknown key 'colour'", 7 },
	{ "unknown-key-suggest.cfg", NULL, 11,
	  "rules[0] (r1): unknown key 'abvoe' (did you mean 'above'?)", 7 },
	/* all of a file's errors in one pass, without cascades */
	{ "one-pass.cfg", NULL, 6, "devices[0] (rack-a).unit: 300 is out of range (1..247)", 4 },
	{ "one-pass.cfg", NULL, 12, "rules[1] (r2).point: unknown device 'rack-c'", 4 },
	{ "one-pass.cfg", NULL, 13, "rules[2] (r3).point: unknown point 'rack-b.p9'", 4 },
	{ "one-pass.cfg", NULL, 14, "rules[3] (r4).severity: 'fatal' is not one of", 4 },
	{ "one-pass-bad-name.cfg", NULL, 6, "devices[0].name: 'rack a' is not a valid name", 1 },
	/* libconfig 1.5 wraps integers to 32 bits: the literal as written is checked */
	{ "int-wrap-32.cfg", NULL, 4, "buses[0] (gw).port: 4294967297 is out of range", 1 },
	{ "int-wrap-sign.cfg", NULL, 6, "devices[0] (d1).interval: 2147483648 is out of range", 1 },
	{ "int-past-64-bits.cfg", NULL, 6, "devices[0] (d1).down_after: 99999999999999999999 is out of range", 3 },
	{ "int-past-64-bits.cfg", NULL, 7, "devices[0] (d1).points[0] (p1).address: 0x100000000 is out of range", 3 },
	{ "int-past-64-bits.cfg", NULL, 9, "rules[0] (r1).for: 99999999999999999999 is out of range", 3 },
	{ "int-wrap-arrays.cfg", NULL, 7, "devices[0] (d1).points[0] (p1).sentinels[1]: "
	  "99999999999999999999 is past 64 bits", 2 },
	{ "int-wrap-arrays.cfg", NULL, 9, "devices[1] (ups).points[0] (t).rows: 4294967297 is "
	  "not a row index", 2 },
	{ "mask-wrap.cfg", NULL, 8, "rules[0] (r1).mask: 0x1FFFFFFFF is not a 32-bit mask", 1 },
	{ "float-not-finite.cfg", NULL, 7, "devices[0] (d1).points[0] (p1).scale: inf is not a finite number", 4 },
	{ "float-not-finite.cfg", NULL, 8, "devices[0] (d1).points[0] (p1).offset: 4.94066e-324 is a denormal", 4 },
	{ "float-not-finite.cfg", NULL, 9, "devices[0] (d1).points[0] (p1).valid_max: -inf is not a finite", 4 },
	{ "float-not-finite.cfg", NULL, 11, "rules[0] (r1).above: 1e-310 is a denormal number", 4 },
	{ "string-nul.cfg", NULL, 5, "devices[0] (d1).location: contains \\x00 (a NUL byte)", 2 },
	{ "string-nul.cfg", NULL, 8, "rules[0] (r1).controls[0]: contains \\x00 (a NUL byte)", 2 },
	/* one file, a problem in every section: all of them are reported */
	{ "several.cfg", NULL, 5, "agent.log_level: 'verbose' is not one of error", 8 },
	{ "several.cfg", NULL, 7, "mqtt.qos: 2 is out of range (0..1)", 8 },
	{ "several.cfg", NULL, 9, "buses[0] (gw).port: 99999 is out of range", 8 },
	{ "several.cfg", NULL, 12, "devices[0] (d1).unit: 300 is out of range", 8 },
	{ "several.cfg", NULL, 13, "devices[0] (d1).points[0] (p1).type: 'int128' is not one of", 8 },
	{ "several.cfg", NULL, 15, "devices[1] (d2).points[0] (p1).read: 'inputs' is not one of", 8 },
	{ "several.cfg", NULL, 18, "rules[0] (r1).severity: 'fatal' is not one of", 8 },
	{ "several.cfg", NULL, 19, "rules[1].name: duplicate rule name 'r1'", 8 },
};

/* Files that load, each with warnings (tests/configs/warn/): every
 * diagnostic of the file must be a warning, COUNT in all. */
static const struct bad_case warn_cases[] = {
	/* control IDs not in the catalog (config/controls.c) */
	{ "controls-unknown.cfg", NULL, 11, "rules[0] (room-temp-high).controls[1]: '設8O' is "
	  "not a control ID facmon knows (FISC 設1..設138); did you mean '設80'?", 5 },
	{ "controls-unknown.cfg", NULL, 13, "rules[1] (clock).controls[1]: 'A.8.15' is not a "
	  "control ID facmon knows (ISO/IEC 27001:2022 Annex A 8.1..8.34); did you mean "
	  "'8.15'?", 5 },
	{ "controls-unknown.cfg", NULL, 13, "rules[1] (clock).controls[2]: '8.35' is not a "
	  "control ID facmon knows (ISO/IEC 27001:2022 Annex A 8.1..8.34)", 5 },
	{ "controls-unknown.cfg", NULL, 15, "rules[2] (comm).controls[0]: '実１０２' is not a "
	  "control ID facmon knows (FISC 実1..実148); did you mean '実102'?", 5 },
	{ "controls-unknown.cfg", NULL, 15, "rules[2] (comm).controls[1]: 'ISO-27001' is not a "
	  "control ID facmon knows (FISC 統1..統27, 実1..実148, 設1..設138, 監1; ISO/IEC "
	  "27001:2022 Annex A 5.1..8.34)", 5 },
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool diag_matches(const struct fm_diag *g, const char *file, int line,
                         const char *want)
{
	return strcmp(g->file, file) == 0 && g->line == line && strstr(g->message, want);
}

/* One row of the files in tests/configs/DIR: with LOADS, the file loads
 * and every diagnostic is a warning; else it does not load. Prints got and
 * want and returns false when the row does not hold. */
static bool check_case(const char *dir, const struct bad_case *bc, bool loads)
{
	char path[PATH_MAX], at[PATH_MAX];
	char rel[32], case_dir[PATH_MAX];
	snprintf(rel, sizeof rel, "configs/%s", dir);
	data_path(case_dir, sizeof(case_dir), rel);
	path_join(path, sizeof(path), case_dir, bc->file);
	path_join(at, sizeof(at), case_dir, bc->at ? bc->at : bc->file);

	struct fm_diags d = { 0 };
	struct fm_config *cfg = config_load(path, &d);
	bool found = false;
	for (size_t i = 0; i < d.count; i++)
		found = found || (diag_matches(&d.items[i], at, bc->line, bc->want) &&
		                  (!loads || d.items[i].severity == FM_DIAG_WARNING));
	bool ok = (loads ? cfg && diags_errors(&d) == 0 : !cfg) && found &&
	          (bc->count < 0 || d.count == (size_t)bc->count);
	if (!ok) {
		print_error("FAIL %s/%s%s\n    want %s:%d: %s...%s...", dir, bc->file,
		            cfg && !loads ? ": loaded, but should not" :
		            !cfg && loads ? ": did not load" : "", at, bc->line,
		            loads ? "warning: " : "", bc->want);
		if (bc->count >= 0)
			print_error(" (%d diagnostics in all, got %zu)", bc->count, d.count);
		if (loads)
			print_error(" (%zu of them errors)", diags_errors(&d));
		print_error("\n");
		print_diags(&d);
	}
	config_free(cfg);
	diags_free(&d);
	return ok;
}

static void test_bad_files(void **state)
{
	(void)state;
	size_t n = LEN(bad_cases), failed = 0;
	for (size_t i = 0; i < n; i++)
		if (!check_case("bad", &bad_cases[i], false))
			failed++;
	if (failed)
		print_error("%zu of %zu bad-file rows failed\n", failed, n);
	assert_int_equal(failed, 0);
}

static void test_warn_files(void **state)
{
	(void)state;
	size_t failed = 0;
	for (size_t i = 0; i < LEN(warn_cases); i++)
		if (!check_case("warn", &warn_cases[i], true))
			failed++;
	assert_int_equal(failed, 0);
}

/* Every file of tests/configs/DIR has a row in CASES (N of them): a file
 * nobody checks is a test that silently does nothing. */
static void every_file_has_a_row(const char *dir, const struct bad_case *cases, size_t n)
{
	char pattern[PATH_MAX], rel[32];
	snprintf(rel, sizeof rel, "configs/%s/*.cfg", dir);
	data_path(pattern, sizeof(pattern), rel);
	glob_t g;
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	size_t missing = 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		bool listed = false;
		for (size_t k = 0; k < n; k++)
			listed = listed || strcmp(cases[k].file, base) == 0;
		if (!listed) {
			print_error("%s/%s has no row in its table\n", dir, base);
			missing++;
		}
	}
	globfree(&g);
	assert_int_equal(missing, 0);
}

static void test_every_file_has_a_row(void **state)
{
	(void)state;
	every_file_has_a_row("bad", bad_cases, LEN(bad_cases));
	every_file_has_a_row("warn", warn_cases, LEN(warn_cases));
}

static void test_missing_file(void **state)
{
	(void)state;
	char path[PATH_MAX];
	data_path(path, sizeof(path), "configs/no-such-file.cfg");
	struct fm_diags d = { 0 };
	assert_null(config_load(path, &d));
	assert_int_equal(d.count, 1);
	assert_string_equal(d.items[0].file, path);
	assert_int_equal(d.items[0].line, 0);
	assert_non_null(strstr(d.items[0].message, "No such file or directory"));
	diags_free(&d);

	data_path(path, sizeof(path), "configs");
	assert_null(config_load(path, &d));
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.items[0].message, "Is a directory"));
	diags_free(&d);
}

/* Earlier diagnostics in the list are the caller's, not this load's. */
static void test_diags_appended(void **state)
{
	(void)state;
	char path[PATH_MAX];
	data_path(path, sizeof(path), "configs/good/minimal.cfg");
	struct fm_diags d = { 0 };
	diags_add(&d, "earlier.cfg", 1, "an earlier problem %d", 42);
	struct fm_config *cfg = config_load(path, &d);
	assert_non_null(cfg);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.items[0].message, "an earlier problem 42");
	config_free(cfg);
	diags_free(&d);
	diags_free(&d);
	diags_free(NULL);
}

static void test_load_profile(void **state)
{
	(void)state;
	struct fm_profile prof;
	struct fm_diags d = { 0 };

	assert_int_equal(config_profile_load(profile_dir, "modbus-di8", &prof, &d), 0);
	assert_int_equal(d.count, 0);
	assert_int_equal(prof.npoints, 8);
	assert_string_equal(prof.points[7].name, "di8");
	assert_int_equal(prof.points[7].address, 7);
	assert_int_equal(prof.nfiles, 1);
	assert_ptr_equal(prof.points[0].origin.file, prof.files[0]);
	config_profile_free(&prof);

	/* an SNMP profile: its points have oids and no Modbus keys; its enum
	 * table is in the profile's pool */
	char good_profiles[PATH_MAX];
	data_path(good_profiles, sizeof(good_profiles), "configs/good/profiles");
	assert_int_equal(config_profile_load(good_profiles, "test-ups-mib", &prof, &d), 0);
	assert_int_equal(d.count, 0);
	assert_int_equal(prof.npoints, 4);
	assert_string_equal(prof.points[3].name, "output_source");
	assert_string_equal(prof.points[3].oid, "1.3.6.1.2.1.33.1.4.1.0");
	assert_int_equal(prof.points[3].nenums, 7);
	assert_non_null(prof.pool.items);
	assert_int_equal(prof.points[3].bit, -1);
	assert_int_equal(prof.nfiles, 1);
	config_profile_free(&prof);

	assert_int_equal(config_profile_load(profile_dir, "../etc", &prof, &d), -1);
	assert_int_equal(config_profile_load(profile_dir, "no-such", &prof, &d), -1);
	assert_int_equal(d.count, 2);
	assert_int_equal(d.items[1].line, 0);
	assert_non_null(strstr(d.items[1].file, "/no-such.cfg"));
	assert_null(prof.points);
	assert_int_equal(prof.npoints, 0);
	assert_int_equal(prof.nfiles, 0);
	diags_free(&d);
}

static void test_names_and_lookups(void **state)
{
	(void)state;
	assert_string_equal(read_kind_name(FM_READ_DISCRETE), "discrete");
	assert_string_equal(value_type_name(FM_TYPE_FLOAT64), "float64");
	assert_string_equal(word_order_name(FM_ORDER_CDAB), "cdab");
	assert_string_equal(severity_name(FM_SEV_CRITICAL), "critical");
	assert_string_equal(severity_name((enum fm_severity)99), "?");

	static const struct { enum fm_value_type t; int regs; } regs[] = {
		{ FM_TYPE_BOOL, 1 },    { FM_TYPE_INT16, 1 },  { FM_TYPE_UINT16, 1 },
		{ FM_TYPE_INT32, 2 },   { FM_TYPE_UINT32, 2 }, { FM_TYPE_FLOAT32, 2 },
		{ FM_TYPE_INT64, 4 },   { FM_TYPE_UINT64, 4 }, { FM_TYPE_FLOAT64, 4 },
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		assert_int_equal(value_type_registers(regs[i].t), regs[i].regs);

	assert_non_null(config_default_profile_dir());
	struct fm_config *cfg = load_good("configs/good/minimal.cfg");
	assert_null(config_find_bus(cfg, "nope"));
	assert_null(config_find_device(cfg, "nope"));
	assert_null(device_find_point(config_find_device(cfg, "meter"), "nope"));
	assert_non_null(device_find_point(config_find_device(cfg, "meter"), "alarm"));
	config_free(cfg);
	config_free(NULL);
}


int main(void)
{
	find_dirs();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_warn_files),
		cmocka_unit_test(test_every_file_has_a_row),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_diags_appended),
		cmocka_unit_test(test_load_profile),
		cmocka_unit_test(test_names_and_lookups),
	};
	return cmocka_run_group_tests(tests, setup_secrets, NULL);
}
