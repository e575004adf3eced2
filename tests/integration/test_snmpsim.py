"""test_snmpsim.py - proves the SNMP fixtures the SNMP tests rely on.

With Debian's own net-snmp tools as the independent client: every
recording in tests/data/snmp answers with exactly what it records (and the
values the UPS tests count on: 230 V, 100 %, 45 min, 35 % load); every
profile in hw/profiles that reads SNMP finds each of its OIDs in its
recording, with enum values the profile names; SNMPv3 authPriv works with
the right keys and fails with wrong ones; one snmpsimd serves five
endpoints and is the process the fixture stops; a missing OID answers
noSuchObject/noSuchInstance; a restart can swap the recording behind a
port; and snmptrap delivers v2c and v1 traps from a chosen source address.

Runs under Debian's /usr/bin/python3 (python3-pysnmp4, which snmpsim
depends on, decodes the traps).
"""

import glob
import os
import socket
import unittest

from pyasn1.codec.ber import decoder
from pysnmp.proto import api

from harness import (HOST, SNMP_DATA, SnmpSim, V3User, free_udp_port,
                     free_udp_ports, snmpget, snmptrap)
from test_profiles import _Parser

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILES = os.path.normpath(os.path.join(HERE, "..", "..", "hw", "profiles"))

# .snmprec tag -> the type snmpget prints.
TAG_TYPES = {"2": "INTEGER", "4": "STRING", "6": "OID", "64": "IpAddress",
             "65": "Counter32", "66": "Gauge32", "67": "Timeticks",
             "70": "Counter64"}

# RFC 1628 UPS-MIB
BATTERY_STATUS = "1.3.6.1.2.1.33.1.2.1.0"
SECONDS_ON_BATTERY = "1.3.6.1.2.1.33.1.2.2.0"
MINUTES_REMAINING = "1.3.6.1.2.1.33.1.2.3.0"
CHARGE = "1.3.6.1.2.1.33.1.2.4.0"
INPUT_VOLTAGE = "1.3.6.1.2.1.33.1.3.3.1.3.1"
OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"
OUTPUT_LOAD = "1.3.6.1.2.1.33.1.4.4.1.5.1"
ALARMS_PRESENT = "1.3.6.1.2.1.33.1.6.1.0"
UPS_TRAP_ON_BATTERY = "1.3.6.1.2.1.33.2.1"

# Values the SNMP tests count on, per community: a 3 kVA UPS on 230 V.
KEY_VALUES = {
    "ups-mains": {
        OUTPUT_SOURCE: ("INTEGER", 3),        # normal
        BATTERY_STATUS: ("INTEGER", 2),       # batteryNormal
        SECONDS_ON_BATTERY: ("INTEGER", 0),
        MINUTES_REMAINING: ("INTEGER", 45),
        CHARGE: ("INTEGER", 100),
        INPUT_VOLTAGE: ("INTEGER", 230),
        OUTPUT_LOAD: ("INTEGER", 35),
        ALARMS_PRESENT: ("Gauge32", 0),
        "1.3.6.1.2.1.1.3.0": ("Timeticks", 123456789),
        "1.3.6.1.2.1.1.2.0": ("OID", "1.3.6.1.2.1.33"),
    },
    "ups-battery": {
        OUTPUT_SOURCE: ("INTEGER", 5),        # battery
        BATTERY_STATUS: ("INTEGER", 2),
        SECONDS_ON_BATTERY: ("INTEGER", 120),
        MINUTES_REMAINING: ("INTEGER", 42),
        CHARGE: ("INTEGER", 93),
        INPUT_VOLTAGE: ("INTEGER", 0),
        OUTPUT_LOAD: ("INTEGER", 35),
        ALARMS_PRESENT: ("Gauge32", 2),
        "1.3.6.1.2.1.33.1.6.2.1.2.2": ("OID", "1.3.6.1.2.1.33.1.6.3.2"),  # upsAlarmOnBattery
    },
    "apc-ups": {
        "1.3.6.1.4.1.318.1.1.1.4.1.1.0": ("INTEGER", 2),        # onLine
        "1.3.6.1.4.1.318.1.1.1.2.2.1.0": ("Gauge32", 100),
        "1.3.6.1.4.1.318.1.1.1.2.2.3.0": ("Timeticks", 270000),  # 45 min
        "1.3.6.1.4.1.318.1.1.1.2.2.4.0": ("INTEGER", 1),
        "1.3.6.1.4.1.318.1.1.1.4.2.3.0": ("Gauge32", 35),
        "1.3.6.1.4.1.318.1.1.1.3.2.1.0": ("Gauge32", 230),
    },
    "netbotz": {
        "1.3.6.1.4.1.318.1.1.25.1.2.1.6.1.1": ("INTEGER", 23),
        "1.3.6.1.4.1.318.1.1.25.1.2.1.7.1.1": ("INTEGER", 45),
        "1.3.6.1.4.1.318.1.1.25.1.2.1.7.2.1": ("INTEGER", -1),
        "1.3.6.1.4.1.318.1.1.25.1.2.1.10.1.1": ("INTEGER", 2),  # commsOK
    },
    "akcp": {
        "1.3.6.1.4.1.3854.1.2.2.1.16.1.3.0": ("INTEGER", 24),
        "1.3.6.1.4.1.3854.1.2.2.1.17.1.3.0": ("INTEGER", 48),
        "1.3.6.1.4.1.3854.1.2.2.1.18.1.3.0": ("INTEGER", 2),    # normal
    },
    "bad-types": {
        CHARGE: ("STRING", "n/a"),
        OUTPUT_SOURCE: ("INTEGER", 3),
    },
}

# profile -> the recordings that serve it; for bad-types, the OIDs it lacks
# or serves with the wrong type on purpose.
PROFILE_RECORDINGS = {
    "ups-mib": ["ups-mains", "ups-battery"],
    "apc-powernet-ups": ["apc-ups"],
    "apc-netbotz": ["netbotz"],
    "akcp-sensorprobe": ["akcp"],
}
BAD_TYPES_FAULTS = {CHARGE: "STRING", MINUTES_REMAINING: None}


def read_recording(community):
    """{oid: (type, value)} as snmpget should print the recording (a string
    in hex, tag 4x, as snmpget shows it: STRING when printable ASCII)."""
    out = {}
    with open(os.path.join(SNMP_DATA, f"{community}.snmprec")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            oid, tag, value = line.split("|", 2)
            if tag == "4x":  # an OCTET STRING written in hex
                value = bytes.fromhex(value)
                try:
                    text = value.decode("ascii")
                    printable = text.isprintable()
                except UnicodeDecodeError:
                    printable = False
                out[oid] = (("STRING", text) if printable else
                            ("Hex-STRING", " ".join(f"{b:02X}" for b in value)))
                continue
            typ = TAG_TYPES[tag]
            if typ in ("INTEGER", "Counter32", "Gauge32", "Timeticks",
                       "Counter64"):
                value = int(value)
            out[oid] = (typ, value)
    return out


def recordings():
    return sorted(os.path.basename(p)[:-len(".snmprec")]
                  for p in glob.glob(os.path.join(SNMP_DATA, "*.snmprec")))


def snmp_points(profile):
    """The points of an SNMP profile: [(name, oid, {enum name: value},
    walked)], WALKED true for a column read whole (rows = "all")."""
    with open(os.path.join(PROFILES, f"{profile}.cfg"), encoding="utf-8") as f:
        doc = _Parser(f.read()).settings(None)
    return [(p["name"], p["oid"].lstrip("."), p.get("enum", {}), p.get("rows") == "all")
            for p in doc["profile"]["points"] if "oid" in p]


def instances(rec, oid, walked):
    """The OIDs of REC a point reads: OID itself, or every row of the
    column OID when it is walked."""
    if not walked:
        return [oid]
    return [o for o in rec if o.startswith(oid + ".")]


def udp_sockets_of(pid):
    """Local UDP ports bound by the sockets PID holds open."""
    inodes = set()
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = set()
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].split(":")[1], 16))
    return ports


def pid_alive(pid):
    """True while PID exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Recordings(unittest.TestCase):

    def test_every_recording_answers_what_it_records(self):
        names = recordings()
        self.assertLessEqual(set(KEY_VALUES), set(names),
                             "recordings the SNMP tests count on are missing")
        with SnmpSim(names) as sim:
            self.assertEqual(set(sim.communities), set(names))
            for community in names:
                with self.subTest(recording=community):
                    want = read_recording(community)
                    r = snmpget(sim.port, *want, community=community)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.values, want)
                    for oid, value in KEY_VALUES.get(community, {}).items():
                        self.assertEqual(r.values[oid], value, oid)

    def test_profiles_find_their_oids_in_their_recordings(self):
        for profile, communities in PROFILE_RECORDINGS.items():
            points = snmp_points(profile)
            self.assertTrue(points, f"{profile}: no SNMP points")
            for community in communities + (["bad-types"] if profile == "ups-mib" else []):
                rec = read_recording(community)
                for name, oid, enum, walked in points:
                    with self.subTest(profile=profile, recording=community, point=name):
                        if community == "bad-types" and oid in BAD_TYPES_FAULTS:
                            want = BAD_TYPES_FAULTS[oid]
                            self.assertEqual(rec.get(oid, (None,))[0], want)
                            continue
                        rows = instances(rec, oid, walked)
                        self.assertTrue(rows, f"no row of column {oid}")
                        for row in rows:
                            self.assertIn(row, rec)
                            typ, value = rec[row]
                            self.assertIn(typ, ("INTEGER", "Gauge32", "Counter32",
                                                "Timeticks"), f"{row}: a number")
                            if enum:
                                self.assertIn(value, enum.values(),
                                              f"{row}: {value} is none of {enum}")


class V3(unittest.TestCase):

    def test_authpriv_right_keys_read_wrong_keys_fail(self):
        sha_aes = V3User("facmon", "auth-pass-123", "priv-pass-123")
        sha256_aes256 = V3User("facmon256", "auth-pass-256", "priv-pass-256",
                               "SHA256", "AES256")
        with SnmpSim(["ups-mains.snmprec", "ups-battery.snmprec"],
                     v3=[sha_aes, sha256_aes256]) as sim:
            # No context: the v3 community (the first recording), as a
            # manager that sets no context name reads a real device.
            r = snmpget(sim.port, OUTPUT_SOURCE, CHARGE, v3=sha_aes)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.values, {OUTPUT_SOURCE: ("INTEGER", 3),
                                        CHARGE: ("INTEGER", 100)})
            # A context name picks a recording.
            r = snmpget(sim.port, OUTPUT_SOURCE, v3=sha_aes,
                        context="ups-battery")
            self.assertEqual(r.values, {OUTPUT_SOURCE: ("INTEGER", 5)}, r.stderr)
            # SHA-256 + AES-256 as net-snmp (and so facmon) speaks them.
            r = snmpget(sim.port, OUTPUT_SOURCE, v3=sha256_aes256)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.values, {OUTPUT_SOURCE: ("INTEGER", 3)})
            # v2c keeps working beside v3.
            self.assertEqual(sim.get(OUTPUT_SOURCE), ("INTEGER", 3))

            # Wrong authentication key: the agent's report says so.
            r = snmpget(sim.port, OUTPUT_SOURCE,
                        v3=sha_aes._replace(auth_key="wrong-auth-key"))
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(r.values, {})
            self.assertIn("Authentication failed for facmon", r.stderr)
            # Wrong privacy key: snmpsimd cannot decrypt the request and
            # drops it, so the manager times out (a net-snmp agent would
            # send a decryptionError report instead).
            r = snmpget(sim.port, OUTPUT_SOURCE,
                        v3=sha_aes._replace(priv_key="wrong-priv-key"))
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(r.values, {})
            self.assertIn("Timeout", r.stderr)
            # Right keys, other protocol: no answer either.
            r = snmpget(sim.port, OUTPUT_SOURCE,
                        v3=sha_aes._replace(auth_proto="MD5"))
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(r.values, {})


class Endpoints(unittest.TestCase):

    def test_five_endpoints_one_process_all_answer_and_stop(self):
        with SnmpSim(["ups-mains.snmprec", "ups-battery.snmprec"],
                     endpoints=5) as sim:
            self.assertEqual(len(sim.ports), 5)
            self.assertEqual(len(set(sim.ports)), 5)
            self.assertEqual(sim.port, sim.ports[0])
            self.assertEqual(sim.endpoint, f"{HOST}:{sim.ports[0]}")
            self.assertEqual(sim.endpoints, [f"{HOST}:{p}" for p in sim.ports])
            for port in sim.ports:
                with self.subTest(port=port):
                    self.assertEqual(sim.get(OUTPUT_SOURCE, "ups-mains", port),
                                     ("INTEGER", 3))
                    self.assertEqual(sim.get(OUTPUT_SOURCE, "ups-battery", port),
                                     ("INTEGER", 5))
            # The PID the fixture stops is the server itself: it holds the
            # five sockets (snmpsimd does not fork).
            pid = sim.pid
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                self.assertIn(b"snmpsimd", f.read())
            self.assertEqual(udp_sockets_of(pid), set(sim.ports))
        self.assertFalse(pid_alive(pid), "snmpsimd outlived its fixture")
        r = snmpget(sim.ports[2], OUTPUT_SOURCE, community="ups-mains",
                    timeout=0.3)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Timeout", r.stderr)

    def test_restart_swaps_the_recording_behind_the_same_port(self):
        with SnmpSim({"ups1": "ups-mains.snmprec"}) as sim:
            port, pid = sim.port, sim.pid
            self.assertEqual(sim.get(OUTPUT_SOURCE, "ups1"), ("INTEGER", 3))
            sim.restart({"ups1": "ups-battery.snmprec"})
            self.assertEqual(sim.port, port)
            self.assertNotEqual(sim.pid, pid)
            self.assertFalse(pid_alive(pid))
            self.assertEqual(sim.get(OUTPUT_SOURCE, "ups1"), ("INTEGER", 5))
            self.assertEqual(sim.get(SECONDS_ON_BATTERY, "ups1"), ("INTEGER", 120))

    def test_free_udp_ports_are_free_and_distinct(self):
        ports = free_udp_ports(10)
        self.assertEqual(len(set(ports)), 10)
        for port in ports + [free_udp_port()]:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((HOST, port))


class Missing(unittest.TestCase):

    def test_missing_oid_is_no_such_object_or_instance(self):
        with SnmpSim(["bad-types.snmprec"]) as sim:
            absent = "1.3.6.1.4.1.99999.1.0"
            r = snmpget(sim.port, MINUTES_REMAINING, CHARGE, OUTPUT_SOURCE,
                        absent, community="bad-types")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(r.values[MINUTES_REMAINING][0],
                          ("noSuchObject", "noSuchInstance"))
            self.assertIn(r.values[absent][0], ("noSuchObject", "noSuchInstance"))
            self.assertRegex(r.stdout, r"No Such (Object|Instance)")
            # The neighbours still answer, the wrong type as it is.
            self.assertEqual(r.values[CHARGE], ("STRING", "n/a"))
            self.assertEqual(r.values[OUTPUT_SOURCE], ("INTEGER", 3))
            # An unknown community gets no answer at all.
            r = snmpget(sim.port, OUTPUT_SOURCE, community="not-served",
                        timeout=0.3)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("Timeout", r.stderr)


def receive_one(sock, timeout=5.0):
    sock.settimeout(timeout)
    data, (addr, _port) = sock.recvfrom(65535)
    ver = int(api.decodeMessageVersion(data))
    mod = api.protoModules[ver]
    msg, _ = decoder.decode(data, asn1Spec=mod.Message())
    return ver, mod, msg, addr


class Traps(unittest.TestCase):

    def setUp(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]

    def tearDown(self):
        self.sock.close()

    def test_v2c_trap_from_a_chosen_source(self):
        snmptrap(self.port, "traps", UPS_TRAP_ON_BATTERY,
                 [(MINUTES_REMAINING, "i", 42), (SECONDS_ON_BATTERY, 120),
                  ("1.3.6.1.2.1.1.5.0", "ups1")],
                 source="127.0.0.2", uptime=4242)
        ver, mod, msg, addr = receive_one(self.sock)
        self.assertEqual(ver, api.protoVersion2c)
        self.assertEqual(addr, "127.0.0.2")
        self.assertEqual(str(mod.apiMessage.getCommunity(msg)), "traps")
        pdu = mod.apiMessage.getPDU(msg)
        vbs = [(str(o), v) for o, v in mod.apiPDU.getVarBinds(pdu)]
        self.assertEqual([o for o, _ in vbs],
                         ["1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.1.1.4.1.0",
                          MINUTES_REMAINING, SECONDS_ON_BATTERY,
                          "1.3.6.1.2.1.1.5.0"])
        self.assertEqual(int(vbs[0][1]), 4242)
        self.assertEqual(str(vbs[1][1]), UPS_TRAP_ON_BATTERY)
        self.assertEqual(int(vbs[2][1]), 42)
        self.assertEqual(int(vbs[3][1]), 120)
        self.assertEqual(str(vbs[4][1]), "ups1")

    def test_v1_trap_fields_follow_rfc3584(self):
        snmptrap(self.port, "public", UPS_TRAP_ON_BATTERY,
                 [(MINUTES_REMAINING, "i", 42)], version="1",
                 source="127.0.0.3")
        ver, mod, msg, addr = receive_one(self.sock)
        self.assertEqual(ver, api.protoVersion1)
        self.assertEqual(addr, "127.0.0.3")
        pdu = mod.apiMessage.getPDU(msg)
        self.assertEqual(str(mod.apiTrapPDU.getEnterprise(pdu)),
                         "1.3.6.1.2.1.33.2")           # upsTraps
        self.assertEqual(int(mod.apiTrapPDU.getGenericTrap(pdu)), 6)
        self.assertEqual(int(mod.apiTrapPDU.getSpecificTrap(pdu)), 1)
        self.assertEqual(mod.apiTrapPDU.getAgentAddr(pdu).prettyPrint(),
                         "127.0.0.3")
        vbs = [(str(o), int(v)) for o, v in mod.apiTrapPDU.getVarBinds(pdu)]
        self.assertEqual(vbs, [(MINUTES_REMAINING, 42)])

    def test_a_failing_snmptrap_raises(self):
        with self.assertRaises(RuntimeError):
            snmptrap(self.port, "public", UPS_TRAP_ON_BATTERY,
                     [(MINUTES_REMAINING, "q", 1)])  # no such type letter


if __name__ == "__main__":
    unittest.main(verbosity=2)
