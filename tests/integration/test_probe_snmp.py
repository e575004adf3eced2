"""test_probe_snmp.py - `facmon probe snmp`, reading an SNMP agent without a config.

Against one snmpsimd (harness.SnmpSim) serving the recordings of
tests/data/snmp to three communities (ups-mains, ups-battery, bad-types)
and to SNMPv3 users, every expected value also read with Debian's snmpget,
so the probe is checked against an independent client:
- v2c OIDs (with and without a leading dot): upsOutputSource 3 on mains,
  5 on battery, the battery charge; --json carries the same values;
- --profile ups-mib: every point with its unit and enum name, on mains and
  on battery; --json with "text" and "unit";
- answers that are not readings, by name, exit 3: noSuchInstance and a
  wrong type (OCTET STRING "n/a") on bad-types, each OID with its own reason
  while the good one in the same request is read; SNMPv1, where the agent
  fails the whole request on its first unknown OID;
- no answer, exit 3 with what to check: a wrong community (snmpsimd stays
  silent, as real agents do) after exactly 1 + --retries tries, a port
  nothing listens on, a host name that does not resolve;
- SNMPv3: authPriv with SHA/AES and with SHA-256/AES-256, authNoPriv, the
  right passphrase files (chmod 600) read; a wrong auth or priv passphrase
  fails with the v3 hint, and no passphrase ever shows in the output; a
  passphrase file readable by every user is refused before anything is sent;
- bad arguments: exit 2 with a message naming the problem, before any
  request is sent (the port has no listener: a probe that went ahead would
  exit 3); an SNMP profile on a Modbus probe and the reverse; --help.
snmpsimd is started once for the module (a context entered with
unittest's enterModuleContext, so it is stopped whatever happens); each
probe is a process run to completion.
"""

import json
import os
import re
import tempfile
import time
import unittest

from harness import HOST, SnmpSim, V3User, free_udp_port, run_cli, snmpget

SANITIZER = re.compile(r"Sanitizer|runtime error:")

# RFC 1628 UPS-MIB objects (hw/profiles/ups-mib.cfg)
OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"      # normal(3) battery(5)
BATTERY_CHARGE = "1.3.6.1.2.1.33.1.2.4.0"     # percent
MINUTES_REMAINING = "1.3.6.1.2.1.33.1.2.3.0"  # missing in bad-types
SECONDS_ON_BATTERY = "1.3.6.1.2.1.33.1.2.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
UPS_MIB_POINTS = ["battery_status", "seconds_on_battery", "minutes_remaining",
                  "battery_charge", "input_voltage", "input_frequency",
                  "output_source", "output_voltage", "output_load", "alarms_present"]

# SNMPv3 users snmpsimd accepts; an empty context reads ups-mains.
V3_SHA_AES = V3User("facmon", "auth-secret-1", "priv-secret-1")
V3_SHA256_AES256 = V3User("ops256", "auth-secret-2", "priv-secret-2", "SHA256", "AES256")
V3_AUTH_ONLY = V3User("authonly", "auth-secret-3", None, "SHA512")

SIM = None


def setUpModule():
    global SIM
    SIM = unittest.enterModuleContext(SnmpSim(
        {"ups-mains": "ups-mains", "ups-battery": "ups-battery",
         "bad-types": "bad-types"},
        v3=[V3_SHA_AES, V3_SHA256_AES256, V3_AUTH_ONLY], v3_community="ups-mains"))


def probe(*args, timeout=60.0):
    """`facmon probe ARGS`: (rc, stdout, stderr). Fails on a sanitizer
    report, whose exit status (1) could pass for the probe's own."""
    rc, out, err = run_cli("probe", *args, timeout=timeout)
    if SANITIZER.search(err):
        raise AssertionError(f"sanitizer report from probe {args}:\n{err}")
    return rc, out, err


def snmp(*args, community="ups-mains", **kw):
    """`facmon probe snmp` against the simulator with COMMUNITY."""
    return probe("snmp", f"{HOST}:{SIM.port}", "--community", community, *args, **kw)


def value_of(out, first):
    """The VALUE column (the rest of the row) of the row whose first
    column is FIRST, in a probe's table."""
    for line in out.splitlines():
        cells = line.split(None, 1)
        if cells and cells[0] == first:
            return cells[1].strip()
    raise AssertionError(f"no row {first!r} in:\n{out}")


def profile_value(out, point):
    """The value of POINT in a --profile table (POINT OID VALUE...)."""
    for line in out.splitlines():
        cells = line.split(None, 2)
        if cells and cells[0] == point:
            return cells[2].strip()
    raise AssertionError(f"no point {point!r} in:\n{out}")


def snmpget_int(oid, community):
    """What Debian's snmpget reads at OID: the integer, independently of facmon."""
    typ, value = SIM.get(oid, community=community)
    if not isinstance(value, int):
        raise AssertionError(f"snmpget {oid} ({community}): {typ} {value!r}")
    return value


class Checks(unittest.TestCase):

    def assert_rc(self, want, result):
        rc, out, err = result
        self.assertEqual(rc, want, f"exit {rc}\nstdout:\n{out}\nstderr:\n{err}")


class V2c(Checks):

    def test_oids_read_the_recorded_values(self):
        for community, source, charge in (("ups-mains", 3, 100), ("ups-battery", 5, 93)):
            with self.subTest(community=community):
                self.assertEqual(snmpget_int(OUTPUT_SOURCE, community), source)
                self.assertEqual(snmpget_int(BATTERY_CHARGE, community), charge)
                result = snmp(OUTPUT_SOURCE, "." + BATTERY_CHARGE, community=community)
                self.assert_rc(0, result)
                _, out, err = result
                self.assertIn(f"{HOST}:{SIM.port} (SNMP v2c): 2 OIDs, 0 failed", out)
                self.assertEqual(value_of(out, OUTPUT_SOURCE), str(source))
                self.assertEqual(value_of(out, BATTERY_CHARGE), str(charge))
                self.assertEqual(err, "")

    def test_json_carries_the_values(self):
        result = snmp(OUTPUT_SOURCE, SECONDS_ON_BATTERY, SYS_UPTIME, "--json",
                      community="ups-battery")
        self.assert_rc(0, result)
        doc = json.loads(result[1])
        self.assertEqual((doc["transport"], doc["target"], doc["version"]),
                         ("snmp", f"{HOST}:{SIM.port}", "2c"))
        self.assertEqual((doc["timeout_ms"], doc["retries"], doc["failed"]), (1000, 1, 0))
        points = doc["points"]
        self.assertEqual(points[OUTPUT_SOURCE], {"v": 5, "oid": OUTPUT_SOURCE})
        self.assertEqual(points[SECONDS_ON_BATTERY]["v"], 120)
        # TimeTicks, as snmpget reads them (hundredths of a second)
        self.assertEqual(points[SYS_UPTIME]["v"], snmpget_int(SYS_UPTIME, "ups-battery"))
        self.assertNotIn("error", doc)


class Profile(Checks):

    MAINS = {
        "battery_status": "2 (batteryNormal)", "seconds_on_battery": "0 s",
        "minutes_remaining": "45 min", "battery_charge": "100 %",
        "input_voltage": "230 V", "input_frequency": "50 Hz",  # 500 x 0.1
        "output_source": "3 (normal)", "output_voltage": "230 V",
        "output_load": "35 %", "alarms_present": "0",
    }

    def test_every_point_with_units_and_enum_names(self):
        result = snmp("--profile", "ups-mib")
        self.assert_rc(0, result)
        out = result[1]
        self.assertRegex(out, rf"^{re.escape(HOST)}:{SIM.port} \(SNMP v2c\): profile "
                              rf"ups-mib \(.*/ups-mib\.cfg\): 10 points, 0 failed\n"
                              rf"POINT\s+OID\s+VALUE\n")
        self.assertEqual({p: profile_value(out, p) for p in UPS_MIB_POINTS}, self.MAINS)
        self.assertRegex(out, rf"(?m)^output_source\s+{re.escape(OUTPUT_SOURCE)}\s+"
                              rf"3 \(normal\)$")

    def test_on_battery(self):
        result = snmp("--profile", "ups-mib", community="ups-battery")
        self.assert_rc(0, result)
        out = result[1]
        self.assertEqual(profile_value(out, "output_source"), "5 (battery)")
        self.assertEqual(profile_value(out, "seconds_on_battery"), "120 s")
        self.assertEqual(profile_value(out, "battery_charge"), "93 %")
        self.assertEqual(profile_value(out, "input_voltage"), "0 V")
        self.assertEqual(profile_value(out, "alarms_present"), "2")

    def test_json(self):
        result = snmp("--profile", "ups-mib", "--json", community="ups-battery")
        self.assert_rc(0, result)
        doc = json.loads(result[1])
        self.assertEqual((doc["profile"], doc["failed"]), ("ups-mib", 0))
        points = doc["points"]
        self.assertEqual(sorted(points), sorted(UPS_MIB_POINTS))
        self.assertEqual(points["output_source"],
                         {"v": 5, "text": "battery", "oid": OUTPUT_SOURCE})
        self.assertEqual(points["battery_status"]["text"], "batteryNormal")
        self.assertEqual((points["battery_charge"]["v"], points["battery_charge"]["unit"]),
                         (93, "%"))
        self.assertEqual(points["input_frequency"]["v"], 0)
        self.assertEqual(points["output_voltage"], {"v": 230, "unit": "V",
                                                    "oid": "1.3.6.1.2.1.33.1.4.4.1.2.1"})

    def test_unknown_profile_exits_1_and_lists_profiles(self):
        rc, out, err = snmp("--profile", "no-such-model")
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"no-such-model\.cfg: cannot read")
        self.assertRegex(err, r"known profiles in .*: .*\bups-mib\b")
        self.assertEqual(out, "")


class BadAnswers(Checks):

    def test_no_such_instance_and_wrong_type_by_name(self):
        missing, _ = SIM.get(MINUTES_REMAINING, community="bad-types")
        self.assertIn(missing, ("noSuchInstance", "noSuchObject"))
        result = snmp(MINUTES_REMAINING, OUTPUT_SOURCE, BATTERY_CHARGE,
                      community="bad-types")
        self.assert_rc(3, result)
        _, out, err = result
        self.assertIn("3 OIDs, 2 failed", out)
        # each OID its own reason, in the collector's words
        self.assertEqual(value_of(out, MINUTES_REMAINING), f"FAILED: {missing}")
        self.assertEqual(value_of(out, BATTERY_CHARGE),
                         'FAILED: wrong type: OCTET STRING "n/a" is not a number')
        self.assertEqual(value_of(out, OUTPUT_SOURCE), "3")
        self.assertIn(f"facmon probe: 2 of 3 OIDs could not be read; the first: "
                      f"{MINUTES_REMAINING}: {missing} — ", err)
        self.assertIn("check the", err)

    def test_no_such_instance_alone_json(self):
        result = snmp(MINUTES_REMAINING, "--json", community="bad-types")
        self.assert_rc(3, result)
        doc = json.loads(result[1])
        point = doc["points"][MINUTES_REMAINING]
        self.assertIsNone(point["v"])
        self.assertRegex(point["error"],
                         rf"^{re.escape(MINUTES_REMAINING)}: noSuch(Instance|Object)$")
        self.assertEqual((doc["failed"], doc["error"]["kind"]), (1, "oid"))

    def test_profile_names_the_points_that_failed(self):
        result = snmp("--profile", "ups-mib", community="bad-types")
        self.assert_rc(3, result)
        _, out, err = result
        self.assertIn("10 points, 2 failed", out)
        self.assertRegex(profile_value(out, "minutes_remaining"),
                         r"^FAILED: noSuch(Instance|Object)$")
        self.assertEqual(profile_value(out, "battery_charge"),
                         'FAILED: wrong type: OCTET STRING "n/a" is not a number')
        self.assertEqual(profile_value(out, "output_source"), "3 (normal)")
        self.assertIn("2 of 10 points could not be read; the first: minutes_remaining "
                      f"({MINUTES_REMAINING})", err)

    def test_v1_reason_per_oid(self):
        # SNMPv1 fails a whole request on its first unknown OID (noSuchName):
        # the probe asks each OID of it again alone, so the good one is read.
        r = snmpget(SIM.port, MINUTES_REMAINING, community="bad-types", version="1")
        self.assertIn("noSuchName", r.stdout + r.stderr)
        result = snmp("--version", "1", MINUTES_REMAINING, OUTPUT_SOURCE,
                      community="bad-types")
        self.assert_rc(3, result)
        _, out, err = result
        self.assertIn("(SNMP v1): 2 OIDs, 1 failed", out)
        self.assertIn("noSuchName", value_of(out, MINUTES_REMAINING))
        self.assertEqual(value_of(out, OUTPUT_SOURCE), "3")
        self.assertIn("with SNMPv1 a request fails as a whole", err)


class NoAnswer(Checks):

    def test_wrong_community_tries_1_plus_retries_then_exit_3(self):
        start = time.monotonic()
        result = snmp(OUTPUT_SOURCE, "--timeout", "300", community="not-served")
        elapsed = time.monotonic() - start
        self.assert_rc(3, result)
        _, out, err = result
        self.assertEqual(out, "")
        self.assertIn(f"facmon probe: no answer from {HOST}:{SIM.port} (SNMP v2c) to "
                      f"2 tries of 300 ms: check the host and port (SNMP agents listen "
                      f"on UDP 161)", err)
        self.assertIn("--version and --community (an agent does not answer a "
                      "community it does not know)", err)
        print(f"\n  wrong community, 2 tries of 300 ms: {elapsed:.2f} s")
        self.assertGreaterEqual(elapsed, 0.6)
        self.assertLess(elapsed, 5.0)

    def test_dead_port(self):
        port = free_udp_port()
        rc, out, err = probe("snmp", f"{HOST}:{port}", OUTPUT_SOURCE, "--timeout", "200",
                             "--retries", "0", "--json")
        self.assertEqual(rc, 3, err)
        doc = json.loads(out)
        self.assertEqual(doc["error"]["kind"], "no-answer")
        self.assertIn(f"no answer from {HOST}:{port} (SNMP v2c) to 1 try of 200 ms: "
                      f"check the host and port", doc["error"]["message"])
        self.assertIn("firewall", err)
        self.assertNotIn("points", doc)

    def test_unresolvable_host(self):
        rc, out, err = probe("snmp", "no-such-host.invalid", OUTPUT_SOURCE)
        self.assertEqual(rc, 3, err)
        self.assertIn("no-such-host.invalid:161 (SNMP v2c): the host name does not "
                      "resolve: check it, or give the agent's IP address", err)


class V3(Checks):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="facmon-probe-v3-")
        self.dir = self.enterContext(tmp)

    def secret(self, name, text, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, mode)
        return path

    def v3(self, user, auth, priv, *args):
        argv = ["snmp", f"{HOST}:{SIM.port}", "--version", "3", "--user", user.user,
                "--auth-passphrase-file", self.secret("auth", auth),
                "--priv-passphrase-file", self.secret("priv", priv),
                "--timeout", "500", *args]
        rc, out, err = probe(*argv)
        for text in (auth, priv):
            self.assertNotIn(text, out + err, "a passphrase in the output")
        return rc, out, err

    def test_auth_priv_reads(self):
        u = V3_SHA_AES
        self.assertEqual(snmpget(SIM.port, OUTPUT_SOURCE, v3=u).values[OUTPUT_SOURCE],
                         ("INTEGER", 3))
        result = self.v3(u, u.auth_key, u.priv_key, OUTPUT_SOURCE, BATTERY_CHARGE)
        self.assert_rc(0, result)
        out = result[1]
        self.assertIn(f"{HOST}:{SIM.port} (SNMPv3 user facmon, authPriv): 2 OIDs, "
                      f"0 failed", out)
        self.assertEqual(value_of(out, OUTPUT_SOURCE), "3")
        self.assertEqual(value_of(out, BATTERY_CHARGE), "100")

    def test_sha256_aes256_profile_json(self):
        u = V3_SHA256_AES256
        result = self.v3(u, u.auth_key, u.priv_key, "--auth-protocol", "SHA-256",
                         "--priv-protocol", "AES-256", "--profile", "ups-mib", "--json")
        self.assert_rc(0, result)
        doc = json.loads(result[1])
        self.assertEqual((doc["version"], doc["user"], doc["level"]),
                         ("3", "ops256", "authPriv"))
        self.assertEqual(doc["points"]["output_source"]["text"], "normal")
        self.assertEqual(doc["failed"], 0)

    def test_auth_no_priv(self):
        u = V3_AUTH_ONLY
        rc, out, err = probe("snmp", f"{HOST}:{SIM.port}", "--version", "3",
                             "--user", u.user, "--level", "authNoPriv",
                             "--auth-protocol", "SHA-512",
                             "--auth-passphrase-file", self.secret("auth", u.auth_key),
                             OUTPUT_SOURCE)
        self.assertEqual(rc, 0, err)
        self.assertIn("(SNMPv3 user authonly, authNoPriv)", out)
        self.assertEqual(value_of(out, OUTPUT_SOURCE), "3")

    def test_wrong_auth_passphrase_exit_3(self):
        u = V3_SHA_AES
        rc, out, err = self.v3(u, "not-the-secret", u.priv_key, OUTPUT_SOURCE)
        self.assertEqual(rc, 3, err)
        self.assertEqual(out, "")
        print(f"\n  wrong auth passphrase: {err.strip()}")
        self.assertIn(f"{HOST}:{SIM.port} (SNMPv3 user facmon, authPriv) answered, but "
                      f"SNMPv3 authentication or privacy failed: check user, auth/priv "
                      f"protocols and passphrases", err)
        self.assertIn("--auth-protocol with --auth-passphrase-file", err)

    def test_wrong_priv_passphrase_exit_3(self):
        # snmpsimd drops what it cannot decrypt: silence, with the v3 hint
        u = V3_SHA_AES
        rc, out, err = self.v3(u, u.auth_key, "not-the-secret", OUTPUT_SOURCE,
                               "--retries", "0")
        self.assertEqual(rc, 3, err)
        self.assertIn(f"no answer from {HOST}:{SIM.port} (SNMPv3 user facmon, authPriv) "
                      f"to 1 try of 500 ms", err)
        self.assertIn("the SNMPv3 settings (an agent does not answer what it cannot "
                      "authenticate or decrypt): --user, --level, --auth-protocol", err)

    def test_world_readable_passphrase_file_refused(self):
        # the right passphrases: a probe that went ahead would exit 0
        u = V3_SHA_AES
        auth = self.secret("auth", u.auth_key, 0o644)
        priv = self.secret("priv", u.priv_key)
        rc, out, err = probe("snmp", f"{HOST}:{SIM.port}", "--version", "3",
                             "--user", u.user, "--auth-passphrase-file", auth,
                             "--priv-passphrase-file", priv, OUTPUT_SOURCE)
        self.assertEqual(rc, 2, err)
        self.assertEqual(out, "")
        self.assertIn(f"facmon probe: --auth-passphrase-file {auth} is readable by "
                      f"every user (mode 0644); chmod 600 it", err)


class Usage(unittest.TestCase):
    """Refused before anything is sent: the port has no listener, so a
    probe that went ahead would exit 3, not 2."""

    OID = OUTPUT_SOURCE
    BAD = [
        (("{snmp}", "upsOutputSource.0"),
         r"'upsOutputSource\.0' is not a numeric OID: facmon reads no MIB files, so "
         r"give the number \(`snmptranslate -On upsOutputSource\.0`"),
        (("{snmp}", "1.3.6.x"), r"'1\.3\.6\.x' is not a numeric OID: want numbers"),
        (("{snmp}", "1.3..6.1"), r"'1\.3\.\.6\.1' is not a numeric OID: it has an empty arc"),
        (("{snmp}", "7.3.6.1"), r"'7\.3\.6\.1': an OID starts with 0, 1 or 2"),
        (("{snmp}", "1"), r"'1': an OID has at least two arcs"),
        (("{snmp}", "1.3.6.4294967296"),
         r"'1\.3\.6\.4294967296': each arc of an OID is at most 4294967295"),
        (("{snmp}", "{oid}", "--version", "2"), r"--version 2: want 1, 2c or 3 \(SNMPv2 is 2c\)"),
        (("{snmp}", "{oid}", "--version", "4"), r"--version 4: want 1, 2c or 3"),
        (("{snmp}", "{oid}", "--version", "3"), r"--version 3 needs --user"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u", "--community", "c"),
         r"--community is for --version 1 and 2c; SNMPv3 authenticates with --user"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u"),
         r"--level authPriv \(the default\) needs --auth-passphrase-file FILE"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u", "--level", "authNoPriv",
          "--priv-protocol", "DES"),
         r"--priv-protocol is not used with --level authNoPriv \(no encryption\)"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u", "--level", "noAuthNoPriv",
          "--auth-protocol", "MD5"),
         r"--auth-protocol is not used with --level noAuthNoPriv"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u", "--level", "authpriv!"),
         r"--level authpriv!: want noAuthNoPriv, authNoPriv or authPriv"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u", "--auth-protocol", "SHA1"),
         r"--auth-protocol SHA1: want SHA, SHA-224, SHA-256, SHA-384, SHA-512 or MD5"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u", "--priv-protocol", "3DES"),
         r"--priv-protocol 3DES: want AES, AES-192, AES-256 or DES"),
        (("{snmp}", "{oid}", "--version", "3", "--user", "u", "--level", "authNoPriv",
          "--auth-passphrase-file", "/nonexistent/auth"),
         r"--auth-passphrase-file /nonexistent/auth: cannot read: No such file"),
        (("{snmp}", "{oid}", "--user", "u"),
         r"--user is an SNMPv3 option; add --version 3 \(this probe speaks version 2c"),
        (("{snmp}", "{oid}", "--version", "1", "--priv-passphrase-file", "x"),
         r"--priv-passphrase-file is an SNMPv3 option; add --version 3"),
        (("{snmp}", "{oid}", "--community", ""), r"--community must not be empty"),
        (("{snmp}", "{oid}", "--retries", "11"), r"--retries 11: want 0\.\.10"),
        (("{snmp}", "{oid}", "--timeout", "0"), r"--timeout 0: want 10\.\.60000"),
        (("{snmp}",), r"say what to read: numeric OIDs \(facmon probe snmp .* "
                      r"1\.3\.6\.1\.2\.1\.1\.3\.0\) or --profile NAME"),
        (("{snmp}", "{oid}", "--profile", "ups-mib"), r"'.*': give OIDs or --profile, not both"),
        (("{snmp}", "--profile", "xy-md02"),
         r"profile xy-md02 is for Modbus devices \(its points are registers\): "
         r"facmon probe tcp HOST\[:PORT\] -u UNIT --profile xy-md02"),
        (("{snmp}", "{oid}", "-u", "1"), r"--unit is a Modbus option; snmp reads OIDs"),
        (("{snmp}", "{oid}", "--scan"), r"--scan is a Modbus option; snmp reads OIDs"),
        (("{snmp}", "{oid}", "--baud", "9600"), r"--baud is a serial setting of Modbus RTU"),
        (("{snmp}", "{oid}", "--profile-dir", "/tmp"), r"--profile-dir is for --profile"),
        (("snmp",), r"snmp needs the agent's address: facmon probe snmp HOST\[:PORT\] OID"),
        (("snmp", "{oid}"), r"'.*' looks like an OID; give the agent's address first"),
        (("snmp", "127.0.0.1:70000", "{oid}"), r"'127\.0\.0\.1:70000': the port must be"),
        (("tcp", "{tcp}", "--community", "ops"),
         r"--community is an SNMP option; it applies to snmp only"),
        (("tcp", "{tcp}", "--profile", "ups-mib"),
         r"profile ups-mib is for SNMP agents \(its points are OIDs\): facmon probe "
         r"snmp HOST\[:PORT\] --profile ups-mib"),
        (("tcp", "{tcp}", "{oid}"), r"unexpected argument '.*'"),
    ]

    def test_bad_arguments_exit_2(self):
        port = free_udp_port()
        for args, message in self.BAD:
            argv = []
            for a in args:
                argv += {"{snmp}": ["snmp", f"{HOST}:{port}"], "{oid}": [self.OID],
                         "{tcp}": [f"{HOST}:{port}"]}.get(a, [a])
            with self.subTest(args=" ".join(argv)):
                rc, out, err = probe(*argv)
                self.assertEqual(rc, 2, f"stdout:\n{out}\nstderr:\n{err}")
                self.assertRegex(err, r"^facmon probe: " + message)
                self.assertIn("Run 'facmon probe --help'", err)
                self.assertEqual(out, "")

    def test_short_passphrase_refused(self):
        with tempfile.TemporaryDirectory(prefix="facmon-probe-v3-") as d:
            path = os.path.join(d, "auth")
            with open(path, "w") as f:
                f.write("short\n")
            os.chmod(path, 0o600)
            rc, out, err = probe("snmp", f"{HOST}:{free_udp_port()}", "--version", "3",
                                 "--user", "u", "--level", "authNoPriv",
                                 "--auth-passphrase-file", path, self.OID)
        self.assertEqual(rc, 2, err)
        self.assertIn(f"--auth-passphrase-file {path}: the passphrase (the file's first "
                      f"line) has 5 characters; SNMPv3 wants at least 8", err)
        self.assertNotIn("short", err.replace(f"{path}", ""))

    def test_help(self):
        rc, out, err = probe("--help")
        self.assertEqual(rc, 0, err)
        self.assertIn("       facmon probe snmp HOST[:PORT] [SNMP OPTIONS] "
                      "(OID... | --profile NAME)\n", out)
        for text in ("--version V        1, 2c or 3 (default 2c)",
                     "--community C      version 1 and 2c (default public)",
                     "--auth-passphrase-file F", "--priv-passphrase-file F",
                     "--retries N", "chmod 600 F", "snmptranslate -On",
                     "facmon probe snmp 192.0.2.20 --community ops --profile ups-mib"):
            self.assertIn(text, out)
        rc2, out2, _ = probe("snmp", "192.0.2.20", "-h")
        self.assertEqual((rc2, out2), (0, out))


if __name__ == "__main__":
    unittest.main(verbosity=2)
