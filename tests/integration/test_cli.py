"""test_cli.py - the facmon command line as a user meets it.

`check` on the shipped example and on a broken file (FILE:LINE: message,
exit 1), `once` against the simulator (readings, device states and rule
verdicts, as text and as JSON; exit 0, or 3 when a device does not answer),
`--help` on every command, and usage errors.
"""

import json
import os
import re
import tempfile
import unittest

from harness import Sim, profile_dir, room_config, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "config", "examples", "opsroom.cfg")
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0;
    clear = 28.0; for = 60; severity = "critical"; },
  { name = "too-humid"; point = "rack-a.humidity"; above = 40.0; }
"""


def write_config(text):
    fd, path = tempfile.mkstemp(prefix="facmon-cli-", suffix=".cfg")
    with os.fdopen(fd, "w") as f:
        f.write(text.replace("{state_dir}", "/tmp")
                    .replace("{profile_dir}", profile_dir()))
    return path


class Check(unittest.TestCase):

    def test_example_is_valid(self):
        rc, out, err = run_cli("check", "-c", EXAMPLE)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"opsroom\.cfg: OK: .*3 devices, \d+ points, 5 rules")

    def test_problems_name_file_and_line(self):
        path = write_config(room_config(1883, 1502, rules="""
  { name = "r1"; point = "rack-a.nope"; above = 1.0; },
  { name = "r2"; point = "rack-a.temperature"; above = 1.0; sevrity = "major"; }
"""))
        try:
            rc, out, err = run_cli("check", "-c", path)
        finally:
            os.unlink(path)
        self.assertEqual(rc, 1)
        lines = err.strip().splitlines()
        self.assertRegex(lines[0], re.escape(path) +
                         r":\d+: rules\[0\] \(r1\)\.point: unknown point 'rack-a\.nope'")
        self.assertRegex(err, re.escape(path) + r":\d+: rules\[1\] \(r2\): unknown key 'sevrity' "
                         r"\(did you mean 'severity'\?\)")
        self.assertIn("2 problems found", lines[-1])

    def test_bad_input_all_in_one_pass(self):
        # what libconfig 1.5 reads silently wrong (a wrapped port, a dropped
        # \x00, inf), a typo, and a rule's error after a device's: one run
        text = """agent = { site = "t"; name = "gw"; };
buses = ( { name = "gw"; type = "modbus-tcp"; host = "127.0.0.1";
            port = 4294967297; } );
devices = (
  { name = "rack-a"; bus = "gw"; intervall = 5; location = "row\\x001";
    points = ( { name = "t"; read = "holding"; address = 0; scale = 1e999; } ); }
);
rules = ( { name = "r1"; point = "rack-a.t"; above = 2147483648; },
          { name = "r2"; point = "rack-b.t"; above = 1; } );
"""
        path = write_config(text)
        try:
            rc, out, err = run_cli("check", "-c", path)
        finally:
            os.unlink(path)
        self.assertEqual(rc, 1, err)
        want = [
            "3: buses[0] (gw).port: 4294967297 is out of range (1..65535)",
            "5: devices[0] (rack-a).location: contains \\x00 (a NUL byte)",
            "5: devices[0] (rack-a): unknown key 'intervall' (did you mean 'interval'?)",
            "6: devices[0] (rack-a).points[0] (t).scale: inf is not a finite number",
            "9: rules[1] (r2).point: unknown device 'rack-b'",
        ]
        lines = err.strip().splitlines()
        got = [line[len(path) + 1:] for line in lines
               if re.match(re.escape(path) + r":\d+: ", line)]
        self.assertEqual(len(got), len(want), err)
        for g, w in zip(got, want):
            self.assertTrue(g.startswith(w), f"got  {g}\nwant {w}...")
        self.assertIn("5 problems found", lines[-1])

    def test_missing_file(self):
        rc, out, err = run_cli("check", "-c", "/nonexistent/facmon.cfg")
        self.assertEqual(rc, 1)
        self.assertIn("/nonexistent/facmon.cfg: cannot read", err)


class Once(unittest.TestCase):

    def test_readings_states_and_verdicts(self):
        with Sim({1: "xy-md02"}, sets={"1.temperature": 31.5,
                                       "1.humidity": 55.0}) as sim:
            path = write_config(room_config(1883, sim.port, rules=RULES))
            try:
                rc, out, err = run_cli("once", "-c", path)
                jrc, jout, _ = run_cli("once", "-c", path, "--json")
            finally:
                os.unlink(path)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"rack-a\s+up")
        self.assertRegex(out, r"temperature\s+31\.5 degC")
        self.assertRegex(out, r"room-temp-high\s+rack-a\.temperature\s+31\.5\s+.*"
                              r"would fire after its 'for' delay")
        self.assertRegex(out, r"too-humid\s+rack-a\.humidity\s+55\s+.*FIRES")
        self.assertEqual(jrc, 0)
        doc = json.loads(jout)
        dev = doc["devices"][0]
        self.assertEqual((dev["name"], dev["state"]), ("rack-a", "up"))
        self.assertEqual(dev["points"]["temperature"], {"v": 31.5, "unit": "degC"})
        rules = {r["rule"]: r for r in doc["rules"]}
        self.assertEqual(rules["room-temp-high"]["state"], "pending")
        self.assertEqual(rules["too-humid"]["state"], "firing")
        self.assertEqual(rules["rack-a.comm"]["state"], "ok")

    def test_silent_device_exits_3(self):
        devices = (("rack-a", 1, "xy-md02"), ("ghost", 9, "xy-md02"))
        with Sim({1: "xy-md02"}) as sim:
            path = write_config(room_config(1883, sim.port, devices=devices))
            try:
                rc, out, err = run_cli("once", "-c", path, "--json")
            finally:
                os.unlink(path)
        self.assertEqual(rc, 3, err)
        states = {d["name"]: d for d in json.loads(out)["devices"]}
        self.assertEqual(states["rack-a"]["state"], "up")
        self.assertEqual(states["ghost"]["state"], "down")
        self.assertRegex(states["ghost"]["error"], r"timed out")

    def test_invalid_config_exits_1(self):
        path = write_config("agent = { site = \"x\"; };\n")
        try:
            rc, _, err = run_cli("once", "-c", path)
        finally:
            os.unlink(path)
        self.assertEqual(rc, 1)
        self.assertIn("missing required key 'name'", err)


class Help(unittest.TestCase):

    def test_help_on_every_command(self):
        for cmd in ("run", "check", "once", "history"):
            rc, out, _ = run_cli(cmd, "--help")
            self.assertEqual(rc, 0, cmd)
            self.assertIn(f"Usage: facmon {cmd}", out)
        rc, out, _ = run_cli("--help")
        self.assertEqual(rc, 0)
        for cmd in ("run", "check", "once", "probe", "history"):
            self.assertIn(cmd, out)

    def test_usage_errors(self):
        rc, _, err = run_cli("frobnicate")
        self.assertEqual(rc, 2)
        self.assertIn("unknown command 'frobnicate'", err)
        rc, _, err = run_cli("check", "--bogus")
        self.assertEqual(rc, 2)
        rc, _, err = run_cli("run", "--json")
        self.assertEqual(rc, 2, "--json belongs to once and history only")
        rc, _, err = run_cli("once", "--since", "1d")
        self.assertEqual(rc, 2, "--since belongs to history only")


if __name__ == "__main__":
    unittest.main(verbosity=2)
