"""test_once_explain.py - `facmon once` says why a read failed, as `facmon
probe` does, and shows an implausible reading as a sensor fault.

Against the real simulator (facmon-sim) and snmpsimd:
- a wrong unit id behind a reachable TCP endpoint: "check the unit id
  first" and the probe --scan command, in the text and in --json
  ("problem": "no-answer", "hint");
- an exception (illegal data address on one point): the profile may not
  match, leave out the point;
- nothing listening on the port: "nothing accepts Modbus TCP on that port";
- an SNMP agent asked with a wrong community: check the device's version
  and community (an agent does not answer a community it does not know);
- a float32 whose words the simulator holds swapped relative to the
  profile (eastron-sdm630 voltage_l1 230.4 V reads 2.7e+23 V, and 230.0 V
  a denormal 2.4e-41 V, inside the valid range): not a value
  but SENSOR FAULT with "try: facmon probe tcp ... --all-orders"; its rule
  is unknown and its fault alert fires; and the probe command of the hint,
  run as given, shows 230.4 in the cdab row.
"""

import json
import os
import shlex
import unittest

from harness import HOST, Sim, SnmpSim, free_port, room_config, run_cli
from test_cli import write_config

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "snmp")
MAINS = os.path.join(DATA, "ups-mains.snmprec")

# 230.4 as float32 is 0x43666666; the simulator holds its words swapped.
SWAPPED_230_4 = (0x6666, 0x4366)
VOLTAGE_RULE = """
  { name = "feed-voltage-low"; point = "feed.voltage_l1"; below = 90.0; clear = 95.0; }
"""


def once(config_text):
    """`facmon once` as text and as --json: (rc, text, stderr, doc)."""
    path = write_config(config_text)
    try:
        rc, out, err = run_cli("once", "-c", path)
        jrc, jout, jerr = run_cli("once", "-c", path, "--json")
    finally:
        os.unlink(path)
    if jrc != rc:
        raise AssertionError(f"text exit {rc}, json exit {jrc}: {jerr}")
    return rc, out, err, json.loads(jout)


def devices(doc):
    return {d["name"]: d for d in doc["devices"]}


def rules(doc):
    return {r["rule"]: r for r in doc["rules"]}


class ModbusFailures(unittest.TestCase):

    def test_wrong_unit_id_says_check_the_unit_id(self):
        with Sim({1: "xy-md02"}) as sim:
            rc, out, err, doc = once(room_config(
                1883, sim.port, devices=(("rack-a", 1, "xy-md02"), ("ghost", 9, "xy-md02"))))
        self.assertEqual(rc, 3, err)
        scan = f"`facmon probe tcp {HOST}:{sim.port} --scan`"
        self.assertRegex(out, r"(?m)^ghost\s+down\s+read .*: Connection timed out\n"
                              r"\s+hint: no answer from unit 9 at ")
        self.assertIn("the connection was accepted", out)
        self.assertIn("check the unit id first", out)
        self.assertIn(scan, out)
        ghost = devices(doc)["ghost"]
        self.assertEqual(ghost["problem"], "no-answer")
        self.assertIn("check the unit id first", ghost["hint"])
        self.assertIn(scan, ghost["hint"])
        self.assertNotIn("hint", devices(doc)["rack-a"], "an answering device needs none")

    def test_exception_says_the_profile_may_not_match(self):
        with Sim({1: "xy-md02"}) as sim:
            sim.exception(1, "holding", 260, 2)  # humidity_correction: illegal address
            rc, out, err, doc = once(room_config(1883, sim.port))
        self.assertEqual(rc, 0, err)  # degraded: it answered
        dev = devices(doc)["rack-a"]
        self.assertEqual(dev["problem"], "exception", dev)
        self.assertIn("answered", dev["hint"])
        self.assertIn("exception 0x02 (illegal data address)", dev["hint"])
        self.assertIn("the profile may not match", dev["hint"])
        self.assertIn("hint: unit 1 answered", out)

    def test_connection_refused_says_check_host_and_port(self):
        port = free_port()
        rc, out, err, doc = once(room_config(1883, port))
        self.assertEqual(rc, 3, err)
        dev = devices(doc)["rack-a"]
        self.assertEqual(dev["problem"], "connection")
        self.assertIn(f"connect {HOST}:{port}: Connection refused: check the host and "
                      "port", dev["hint"])
        self.assertIn("nothing accepts Modbus TCP on that port", dev["hint"])
        self.assertIn("nothing accepts Modbus TCP on that port", out)


class SnmpFailures(unittest.TestCase):

    def test_wrong_community_says_check_the_community(self):
        with SnmpSim({"ups": MAINS}) as sim:
            device = (f'  {{ name = "ups1"; type = "snmp"; host = "{HOST}"; '
                      f'port = {sim.port}; community = "wrong"; profile = "ups-mib"; '
                      f'timeout_ms = 300; retries = 0; }}')
            rc, out, err, doc = once(room_config(1883, free_port(), devices=device))
        self.assertEqual(rc, 3, err)
        ups = devices(doc)["ups1"]
        self.assertEqual(ups["problem"], "no-answer", ups)
        self.assertIn(f"no answer from {HOST}:{sim.port} to 1 try of 300 ms", ups["hint"])
        self.assertIn("the device's version and community (an agent does not answer "
                      "a community it does not know)", ups["hint"])
        self.assertIn("hint: no answer from", out)


class WrongWordOrder(unittest.TestCase):

    def test_swapped_float_is_a_sensor_fault_with_all_orders_hint(self):
        with Sim({2: "eastron-sdm630"}) as sim:
            sim.raw(2, "input", 0, SWAPPED_230_4[0])
            sim.raw(2, "input", 1, SWAPPED_230_4[1])
            rc, out, err, doc = once(room_config(
                1883, sim.port, devices=(("feed", 2, "eastron-sdm630"),),
                rules=VOLTAGE_RULE))
            probe = f"facmon probe tcp {HOST}:{sim.port} -u 2 -r input -a 0 --all-orders"
            # the hint's command, run as given, finds the order that reads 230.4
            prc, pout, perr = run_cli(*shlex.split(probe)[1:])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"(?m)^\s+voltage_l1\s+SENSOR FAULT: reads 2\.7\d*e\+23, "
                              r"outside its valid range 0\.\.1000 V$")
        self.assertIn(f"try: {probe}", out)
        self.assertNotRegex(out, r"voltage_l1\s+2\.7\d*e\+23 V", "not shown as a value")
        point = devices(doc)["feed"]["points"]["voltage_l1"]
        self.assertIsNone(point["v"])
        self.assertAlmostEqual(point["reading"] / 2.718e23, 1.0, places=2)
        self.assertIn("outside its valid range 0..1000 V", point["fault"])
        self.assertIn(f"try: {probe}", point["hint"])
        self.assertEqual(devices(doc)["feed"]["points"]["voltage_l2"], {"v": 0, "unit": "V"})
        # the engine agrees: the fault fires and the reading's rule is unknown
        by_rule = rules(doc)
        self.assertEqual(by_rule["feed.voltage_l1.fault"]["state"], "firing")
        self.assertIn("outside its valid range", by_rule["feed.voltage_l1.fault"]["detail"])
        self.assertEqual(by_rule["feed-voltage-low"]["state"], "unknown")
        self.assertEqual(by_rule["feed.voltage_l2.fault"]["state"], "ok")
        self.assertEqual(prc, 0, perr)
        self.assertRegex(pout, r"(?m)^cdab\s+.*\s230\.4$")

    def test_swapped_round_float_is_a_denormal_fault(self):
        # 230.0 is 0x43660000: swapped, its words read 0x00004366, a denormal
        # (2.4e-41), which is inside 0..1000 V but no measurement
        with Sim({2: "eastron-sdm630"}) as sim:
            sim.raw(2, "input", 0, 0x0000)
            sim.raw(2, "input", 1, 0x4366)
            rc, out, err, doc = once(room_config(
                1883, sim.port, devices=(("feed", 2, "eastron-sdm630"),),
                rules=VOLTAGE_RULE))
            probe = f"facmon probe tcp {HOST}:{sim.port} -u 2 -r input -a 0 --all-orders"
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"(?m)^\s+voltage_l1\s+SENSOR FAULT: reads 2\.4\d*e-41, which "
                              r"is not a measurement \(a denormal float: the word order "
                              r"is likely wrong\)$")
        self.assertIn(f"try: {probe}", out)
        self.assertIsNone(devices(doc)["feed"]["points"]["voltage_l1"]["v"])
        by_rule = rules(doc)
        self.assertEqual(by_rule["feed.voltage_l1.fault"]["state"], "firing")
        self.assertEqual(by_rule["feed-voltage-low"]["state"], "unknown",
                         "2.4e-41 V must not read as a low voltage")


if __name__ == "__main__":
    unittest.main(verbosity=2)
