"""test_footprint.py - what an agent loads is what its config asks for.

Not a measurement (bench/scale.py measures memory next to collectd); these
are the facts the small footprint rests on, checked on a running agent:
- a Modbus-only agent never initialises net-snmp (its debug log says so
  when it does), and maps neither libcurl nor libmicrohttpd nor GnuTLS,
  which only outputs.alertmanager and outputs.http load, when they start;
- an agent with an SNMP device and outputs.http does initialise net-snmp
  and maps libmicrohttpd (so the check above can fail), but not net-snmp's
  SNMPv3 security (USM, which starts OpenSSL's default provider) while no
  device uses SNMPv3; a v3 device does (so that check can fail too);
- the config's hash on R/status is still the SHA-256 documented in
  docs/mqtt.md, recomputed here with Python's hashlib from the files the
  config was read from (the hash moved from OpenSSL to libmd; the chain's
  digest is checked the same way in test_evidence.py).
"""

import hashlib
import os
import tempfile
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, SnmpSim, V3User, free_port,
                     room_config, state_is, write_secret)

ROOT = "facmon/testsite/gw1"
MAINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "snmp",
                     "ups-mains.snmprec")
SNMP_INIT = "net-snmp initialised"
SNMP_USM = "net-snmp initialised for SNMPv3"
OPTIONAL_LIBS = ("libcurl", "libmicrohttpd", "libgnutls")


def mapped(pid):
    """The shared objects mapped into PID."""
    libs = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            path = line.split()[-1]
            if ".so" in path:
                libs.add(os.path.basename(path))
    return libs


def config_hash(paths):
    """The config's hash as docs/mqtt.md says: SHA-256 over every file it
    was read from, each its path and a NUL, then its bytes, in order."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


class Footprint(unittest.TestCase):

    def test_modbus_only_loads_nothing_it_does_not_use(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(room_config(broker.port, sim.port)) as agent:
            status = watch.wait_for(f"{ROOT}/status", state_is("online")).payload
            watch.wait_for(f"{ROOT}/telemetry/rack-a")
            libs = mapped(agent.pid)
            self.assertFalse([l for l in libs if l.startswith(OPTIONAL_LIBS)], sorted(libs))
            self.assertNotIn(SNMP_INIT, agent.log())
            self.assertIn("DEBUG", agent.log(), "the log is at debug level")
            profile = os.path.join(os.environ["FACMON_PROFILE_DIR"], "xy-md02.cfg")
            self.assertEqual(status["config_sha256"],
                             config_hash([agent.config_path, profile]))

    def test_snmp_and_http_load_what_they_need(self):
        with Mosquitto() as broker, SnmpSim({"ups": MAINS}) as snmp, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            device = (f'  {{ name = "ups1"; type = "snmp"; host = "127.0.0.1"; '
                      f'port = {snmp.port}; community = "ups"; profile = "ups-mib"; '
                      f'interval = 1; }}')
            config = room_config(broker.port, 1502, devices=device)
            config += f'outputs = {{ http = {{ listen = "127.0.0.1:{free_port()}"; }}; }};\n'
            with Agent(config) as agent:
                watch.wait_for(f"{ROOT}/telemetry/ups1", timeout=20)
                agent.wait_log(SNMP_INIT)
                agent.wait_log(r"INFO http: listening on")
                libs = mapped(agent.pid)
                self.assertTrue([l for l in libs if l.startswith("libmicrohttpd")],
                                sorted(libs))
                self.assertFalse([l for l in libs if l.startswith("libcurl")], sorted(libs))
                self.assertNotIn(SNMP_USM, agent.log())

    def test_snmpv3_sets_up_its_security(self):
        user = V3User("facmon", "auth-secret-1", "priv-secret-1")
        with tempfile.TemporaryDirectory() as keys, Mosquitto() as broker, \
                SnmpSim({"ups": MAINS}, v3=user, v3_community="ups") as snmp, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            auth = write_secret(os.path.join(keys, "auth.pass"), user.auth_key)
            priv = write_secret(os.path.join(keys, "priv.pass"), user.priv_key)
            device = (f'  {{ name = "ups3"; type = "snmp"; host = "127.0.0.1"; '
                      f'port = {snmp.port}; version = "3"; user = "{user.user}"; '
                      f'security_level = "authPriv"; auth_protocol = "SHA"; '
                      f'priv_protocol = "AES"; auth_passphrase_file = "{auth}"; '
                      f'priv_passphrase_file = "{priv}"; profile = "ups-mib"; interval = 1; }}')
            with Agent(room_config(broker.port, 1502, devices=device)) as agent:
                watch.wait_for(f"{ROOT}/device/ups3/state", state_is("up"), timeout=20)
                self.assertIn(SNMP_USM, agent.log())

if __name__ == "__main__":
    unittest.main(verbosity=2)
