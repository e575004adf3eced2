"""test_probe.py - `facmon probe`, commissioning a device without a config.

Against facmon-sim over Modbus TCP, then over Modbus RTU on a socat pty
pair (the simulator on one end, the probe on the other):
- a plain read of an XY-MD02's input registers, raw and decoded (int16,
  scale 0.1), one line per register; bits of a digital-input module;
- a float32 written as raw registers in cdab order: --all-orders shows 22.5
  in the cdab row only, and a plain read with --order cdab decodes it;
- --profile xy-md02 through the real collector: every point with its value
  and unit, a point refused by the device named with its reason (exit 3);
- --scan finds exactly the served unit ids, counts an exception reply as a
  unit that exists, and takes about one timeout per silent id;
- a muted or unserved unit: exit 3 and the hint of what to check; an
  exception reply: exit 3 and its name; a gateway's "target failed to
  respond"; a refused connection and a missing serial device;
- bad arguments: exit 2 with a message naming the option, before any
  request is sent.
Every process is a harness fixture, stopped when its class is done.
"""

import json
import os
import re
import time
import unittest

from harness import HOST, PtyPair, Sim, free_port, run_cli

FLOAT_22_5 = 0x41B40000  # 22.5 as an IEEE 754 float32
SANITIZER = re.compile(r"Sanitizer|runtime error:")


def probe(*args, timeout=60.0):
    """`facmon probe ARGS`: (rc, stdout, stderr). Fails on a sanitizer
    report, whose exit status (1) could pass for the probe's own."""
    rc, out, err = run_cli("probe", *args, timeout=timeout)
    if SANITIZER.search(err):
        raise AssertionError(f"sanitizer report from probe {args}:\n{err}")
    return rc, out, err


def table_row(out, first):
    """The whitespace-split row of a table whose first column is FIRST."""
    for line in out.splitlines():
        cells = line.split()
        if cells and cells[0] == str(first):
            return cells
    raise AssertionError(f"no row {first!r} in:\n{out}")


class ProbeCases:
    """The cases both transports share. A subclass sets self.sim and
    self.where (the arguments naming the line) in setUpClass."""

    sim = None
    where = ()

    def probe(self, *args, timeout=60.0):
        return probe(*self.where, *args, timeout=timeout)

    def assert_ok(self, rc, out, err):
        self.assertEqual(rc, 0, f"exit {rc}\nstdout:\n{out}\nstderr:\n{err}")

    # ---- plain reads ------------------------------------------------------

    def test_input_registers_decoded(self):
        self.sim.set(1, "temperature", 35.0)
        self.sim.set(1, "humidity", 45.5)
        rc, out, err = self.probe("-u", "1", "-r", "input", "-a", "1", "-n", "2",
                                  "-t", "int16", "--scale", "0.1")
        self.assert_ok(rc, out, err)
        self.assertRegex(out, r"unit 1 (at|on) .*: input 1\.\.2 as int16, scale 0\.1")
        self.assertEqual(table_row(out, 1), ["1", "350", "0x015E", "35"])
        self.assertEqual(table_row(out, 2), ["2", "455", "0x01C7", "45.5"])

    def test_input_registers_json(self):
        self.sim.set(1, "temperature", -20.5)
        rc, out, err = self.probe("-u", "1", "-r", "input", "-a", "1",
                                  "-t", "int16", "--scale", "0.1", "--json")
        self.assert_ok(rc, out, err)
        doc = json.loads(out)
        self.assertEqual(doc["registers"], [0xFF33])
        self.assertEqual(doc["values"], [{"address": 1, "value": -20.5}])
        self.assertEqual((doc["unit"], doc["read"], doc["type"]), (1, "input", "int16"))

    def test_all_orders_finds_cdab(self):
        # 22.5 in cdab: the low word first.
        self.sim.raw(1, "holding", 100, FLOAT_22_5 & 0xFFFF)
        self.sim.raw(1, "holding", 101, FLOAT_22_5 >> 16)
        rc, out, err = self.probe("-u", "1", "-a", "100", "--all-orders")
        self.assert_ok(rc, out, err)
        self.assertIn("holding 100..101 = 0x0000 0x41B4", out)
        floats = {o: table_row(out, o)[3] for o in ("abcd", "cdab", "badc", "dcba")}
        self.assertEqual(floats["cdab"], "22.5", out)
        for order in ("abcd", "badc", "dcba"):
            self.assertNotEqual(floats[order], "22.5", out)
        rc, out, err = self.probe("-u", "1", "-a", "100", "--all-orders", "--json")
        self.assert_ok(rc, out, err)
        orders = json.loads(out)["orders"]
        self.assertEqual(orders["cdab"]["float32"], 22.5)
        self.assertEqual([o for o in orders if orders[o]["float32"] == 22.5], ["cdab"])
        self.assertEqual(orders["abcd"]["uint32"], 0x41B4)

    def test_multi_register_values_consume_registers(self):
        self.sim.raw(1, "holding", 100, FLOAT_22_5 & 0xFFFF)
        self.sim.raw(1, "holding", 101, FLOAT_22_5 >> 16)
        self.sim.raw(1, "holding", 102, 0)
        self.sim.raw(1, "holding", 103, 0x4120)  # 10.0 in cdab
        rc, out, err = self.probe("-u", "1", "-a", "0x64", "-n", "2",
                                  "-t", "float32", "-o", "cdab")
        self.assert_ok(rc, out, err)
        self.assertEqual(table_row(out, 100)[1:], ["0", "0x0000", "22.5"])
        self.assertEqual(table_row(out, 101)[1:], ["16820", "0x41B4", "(part", "of", "100)"])
        self.assertEqual(table_row(out, 102)[3], "10")

    def test_discrete_inputs(self):
        for address in range(8):
            self.sim.raw(3, "discrete", address, 1 if address in (1, 4) else 0)
        rc, out, err = self.probe("-u", "3", "-r", "discrete", "-n", "8")
        self.assert_ok(rc, out, err)
        self.assertEqual([table_row(out, a)[1] for a in range(8)],
                         ["0", "1", "0", "0", "1", "0", "0", "0"])
        rc, out, err = self.probe("-u", "3", "-r", "discrete", "-n", "8", "--json")
        self.assert_ok(rc, out, err)
        self.assertEqual(json.loads(out)["bits"], [0, 1, 0, 0, 1, 0, 0, 0])

    # ---- --profile --------------------------------------------------------

    def test_profile_prints_points_with_units(self):
        self.sim.set(1, "temperature", 23.4)
        self.sim.set(1, "humidity", 51.2)
        rc, out, err = self.probe("-u", "1", "--profile", "xy-md02")
        self.assert_ok(rc, out, err)
        self.assertRegex(out, r"(?m)^temperature\s+input\s+1\s+int16\s+23\.4 degC$")
        self.assertRegex(out, r"(?m)^humidity\s+input\s+2\s+uint16\s+51\.2 %RH$")
        self.assertRegex(out, r"(?m)^temperature_correction\s+holding\s+259\s+int16\s+0 degC$")
        self.assertIn("0 failed", out)
        rc, out, err = self.probe("-u", "1", "--profile", "xy-md02", "--json")
        self.assert_ok(rc, out, err)
        points = json.loads(out)["points"]
        self.assertEqual((points["temperature"]["v"], points["temperature"]["unit"]),
                         (23.4, "degC"))
        self.assertEqual((points["humidity"]["v"], points["humidity"]["unit"]),
                         (51.2, "%RH"))

    def test_profile_names_the_point_that_failed(self):
        self.sim.set(1, "temperature", 24.0)
        self.sim.exception(1, "holding", 260, 2)
        try:
            rc, out, err = self.probe("-u", "1", "--profile", "xy-md02")
            jrc, jout, _ = self.probe("-u", "1", "--profile", "xy-md02", "--json")
        finally:
            self.sim.clear_exceptions(1)
        self.assertEqual(rc, 3, f"{out}\n{err}")
        self.assertRegex(out, r"(?m)^temperature\s+input\s+1\s+int16\s+24 degC$")
        self.assertRegex(out, r"(?m)^temperature_correction\s+holding\s+259\s+int16\s+0 degC$")
        self.assertRegex(out, r"(?m)^humidity_correction\s+holding\s+260\s+int16\s+"
                              r"FAILED: exception 0x02 \(illegal data address\)$")
        self.assertIn("1 of 4 points could not be read", err)
        self.assertIn("the profile may not match", err)
        self.assertEqual(jrc, 3)
        doc = json.loads(jout)
        self.assertEqual(doc["points"]["humidity_correction"]["v"], None)
        self.assertEqual(doc["points"]["humidity_correction"]["error"],
                         "exception 0x02 (illegal data address)")
        self.assertEqual(doc["points"]["temperature"]["v"], 24.0)
        self.assertEqual(doc["error"]["kind"], "exception")

    def test_profile_of_silent_unit_asks_once(self):
        self.sim.request_log(True)
        try:
            rc, out, err = self.probe("-u", "9", "--profile", "xy-md02",
                                      "--timeout", "200")
            asked = [r for r in self.sim.requests() if r["unit"] == 9]
        finally:
            self.sim.request_log(False)
        self.assertEqual(rc, 3, f"{out}\n{err}")
        self.assertIn("no answer from unit 9", err)
        # A dead unit costs one timeout, not one per point.
        self.assertEqual(len(asked), 1, asked)

    # ---- --scan -----------------------------------------------------------

    def test_scan_finds_the_served_units(self):
        start = time.monotonic()
        rc, out, err = self.probe("--scan", "1-5")
        elapsed = time.monotonic() - start
        self.assert_ok(rc, out, err)
        found = sorted(int(u) for u in re.findall(r"(?m)^unit (\d+) answers", out))
        self.assertEqual(found, self.served)
        silent = 5 - len(self.served)
        self.assertRegex(out, rf"scanned unit ids 1-5 on .* \(200 ms each\): "
                              rf"{len(self.served)} answered \("
                              rf"{', '.join(map(str, self.served))}\), {silent} silent")
        reported = float(re.search(r" in ([\d.]+) s ", out).group(1))
        print(f"\n  scan of 5 ids, {silent} silent at 200 ms: {elapsed:.2f} s "
              f"(probe says {reported:.1f} s)")
        # Each silent id costs one timeout; the whole scan is bounded.
        self.assertGreaterEqual(reported, silent * 0.2 - 0.05)
        self.assertLess(elapsed, 5 * 0.2 + 4.0)

    def test_scan_counts_an_exception_as_present(self):
        self.sim.exception(3, "holding", 0, 1)
        try:
            rc, out, err = self.probe("--scan", "2-4", "--json")
        finally:
            self.sim.clear_exceptions(3)
        self.assert_ok(rc, out, err)
        doc = json.loads(out)
        units = {u["unit"]: u for u in doc["units"]}
        self.assertEqual(units[3]["status"], "exception")
        self.assertEqual(units[3]["error"], "exception 0x01 (illegal function)")
        self.assertEqual((doc["from"], doc["to"], doc["complete"]), (2, 4, True))
        self.assertEqual(doc["answered"], len(units))

    # ---- failures ---------------------------------------------------------

    def test_muted_unit_exits_3_with_hint(self):
        self.sim.mute(1)
        try:
            start = time.monotonic()
            rc, out, err = self.probe("-u", "1", "--timeout", "300")
            elapsed = time.monotonic() - start
        finally:
            self.sim.mute(1, False)
        self.assertEqual(rc, 3, f"{out}\n{err}")
        self.assertEqual(out, "")
        self.assertIn("within 300 ms", err)
        self.assertIn("check the", err)
        self.assertIn(self.scan_hint, err)
        self.assertIn(self.silence_hint, err)
        self.assertLess(elapsed, 10)

    def test_unserved_unit_json(self):
        rc, out, err = self.probe("-u", "9", "--timeout", "200", "--json")
        self.assertEqual(rc, 3, err)
        doc = json.loads(out)
        self.assertEqual(doc["error"]["kind"], "no-answer")
        self.assertIn("no answer from unit 9", doc["error"]["message"])
        self.assertNotIn("values", doc)

    def test_exception_reply_is_named(self):
        self.sim.exception(1, "holding", 5, 2)
        try:
            rc, out, err = self.probe("-u", "1", "-a", "5")
            jrc, jout, _ = self.probe("-u", "1", "-a", "4", "-n", "3", "--json")
        finally:
            self.sim.clear_exceptions(1)
        self.assertEqual(rc, 3, f"{out}\n{err}")
        self.assertIn("unit 1 answered holding 5 with an exception: exception 0x02 (illegal data "
                      "address) — the register map may differ; check --read and "
                      "--address", err)
        self.assertEqual(jrc, 3)
        error = json.loads(jout)["error"]
        self.assertEqual(error["kind"], "exception")
        self.assertIn("holding 4..6", error["message"])


    def test_every_exception_code_is_named(self):
        # libmodbus names code 0 "Unknown error 112345678"; 9 is unassigned
        want = {0: "exception 0x00 (not a valid Modbus exception code)",
                5: "exception 0x05 (acknowledge: accepted, still processing)",
                6: "exception 0x06 (server device busy)",
                8: "exception 0x08 (memory parity error)",
                9: "exception 0x09 (not a valid Modbus exception code)"}
        for code, name in want.items():
            with self.subTest(code=code):
                self.sim.exception(1, "holding", 0, code)
                try:
                    rc, out, err = self.probe("-u", "1", "-a", "0")
                    _, jout, jerr = self.probe("--scan", "1-1", "--json")
                finally:
                    self.sim.clear_exceptions(1)
                self.assertEqual(rc, 3, f"{out}\n{err}")
                self.assertIn(f"unit 1 answered holding 0 with an exception: {name} — ",
                              err)
                self.assertNotIn("Unknown error", err)
                unit = json.loads(jout or jerr)["units"][0]
                self.assertEqual((unit["status"], unit["error"]), ("exception", name))


class ProbeTcp(ProbeCases, unittest.TestCase):

    served = [1, 2, 3]

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim({1: "xy-md02", 2: "xy-md02", 3: "modbus-di8"})
        cls.where = ("tcp", f"{HOST}:{cls.sim.port}")
        cls.scan_hint = f"`facmon probe tcp {HOST}:{cls.sim.port} --scan`"
        cls.silence_hint = "the connection was accepted"

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()

    def test_gateway_target_failed_to_respond(self):
        self.sim.exception(1, "holding", 7, 11)
        try:
            rc, out, err = self.probe("-u", "1", "-a", "7")
        finally:
            self.sim.clear_exceptions(1)
        self.assertEqual(rc, 3, f"{out}\n{err}")
        self.assertIn(f"no answer from unit 1: the gateway at {HOST}:{self.sim.port} "
                      "says exception 0x0B (gateway target device failed to respond)", err)

    def test_connection_refused(self):
        port = free_port()
        rc, out, err = probe("tcp", f"{HOST}:{port}")
        self.assertEqual(rc, 3, err)
        self.assertIn(f"connect {HOST}:{port}: Connection refused: check the host "
                      "and port", err)


class ProbeRtu(ProbeCases, unittest.TestCase):

    served = [1, 3]

    @classmethod
    def setUpClass(cls):
        cls.pty = PtyPair()
        try:
            cls.sim = Sim({1: "xy-md02", 3: "modbus-di8"}, serial=cls.pty.a)
        except BaseException:
            cls.pty.close()
            raise
        cls.where = ("rtu", cls.pty.b)
        cls.scan_hint = f"`facmon probe rtu {cls.pty.b} --scan`"
        cls.silence_hint = "check the wiring (A/B swapped?), the baud rate and parity"

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()
        cls.pty.close()

    def test_hint_repeats_serial_settings(self):
        rc, out, err = self.probe("-u", "9", "--timeout", "100", "--baud", "19200",
                                  "--parity", "even", "--stop-bits", "2")
        self.assertEqual(rc, 3, err)
        self.assertIn(f"no answer from unit 9 on {self.pty.b} 19200 8E2 within 100 ms",
                      err)
        self.assertIn(f"`facmon probe rtu {self.pty.b} --baud 19200 --parity even "
                      "--stop-bits 2 --scan`", err)

    def test_missing_serial_device(self):
        path = os.path.join(self.pty.tmp, "no-such-tty")
        rc, out, err = probe("rtu", path, "--scan")
        self.assertEqual(rc, 3, err)
        self.assertIn(f"open {path}: No such file or directory: check the device "
                      "path", err)


class ProbeUsage(unittest.TestCase):
    """Rejected before anything is opened: the port below has no listener,
    so a probe that went ahead would exit 3, not 2."""

    BAD = [
        ((), r"say where the device is: tcp HOST\[:PORT\] or rtu DEVICE"),
        (("rtu",), r"rtu needs the serial device"),
        (("tcp",), r"tcp needs the device's or gateway's address"),
        (("udp", "x"), r"unknown transport 'udp'"),
        (("{tcp}", "-t", "float"), r"--type float: unknown type; want bool, int16"),
        (("{tcp}", "-a", "65536"), r"--address 65536: a PDU address is 0\.\.65535"),
        (("{tcp}", "-a", "0xFFFF", "-t", "float32"),
         r"--address 65535 with 2 registers ends at 65536, past the last address"),
        (("{tcp}", "-a", "65530", "-n", "7"),
         r"--address 65530 with 7 registers ends at 65536"),
        (("{tcp}", "-n", "126"), r"--count 126: one request reads at most 125 registers"),
        (("{tcp}", "-n", "63", "-t", "int32"),
         r"--count 63 of int32 is 126 registers; one request reads at most 125 "
         r"\(62 int32 values\)"),
        (("{tcp}", "-r", "coil", "-n", "2001"), r"--count 2001: .*2000 bits"),
        (("{tcp}", "-r", "coil", "-t", "int16"),
         r"--type int16 with --read coil: coils and discrete inputs are single bits"),
        (("{tcp}", "-u", "0"), r"--unit 0: a unit id is 1\.\.247 \(0 is broadcast"),
        (("{tcp}", "-u", "248"), r"--unit 248: a unit id is 1\.\.247"),
        (("{tcp}", "-r", "register"), r"--read register: want holding, input, coil or discrete"),
        (("{tcp}", "-o", "dbca"), r"--order dbca: want abcd, cdab, badc or dcba"),
        (("{tcp}", "--scale", "0"), r"--scale 0: want a number other than 0"),
        (("{tcp}", "--timeout", "5"), r"--timeout 5: want 10\.\.60000"),
        (("{tcp}", "--baud", "9600"), r"--baud is a serial setting; it applies to rtu only"),
        (("rtu", "/dev/ttyUSB0", "--baud", "9601"), r"--baud 9601: not one of"),
        (("rtu", "/dev/ttyUSB0", "--parity", "mark"), r"--parity mark: want none, even or odd"),
        (("{tcp}", "--scan", "5-1"), r"--scan 5-1: FROM is above TO"),
        (("{tcp}", "--scan", "0-9"), r"--scan 0-9: want FROM-TO with unit ids 1\.\.247"),
        (("{tcp}", "--scan", "-u", "2"), r"--unit does not apply to --scan"),
        (("{tcp}", "--profile", "xy-md02", "-a", "1"), r"--address does not apply to --profile"),
        (("{tcp}", "--profile", "xy-md02", "--scan"),
         r"--all-orders, --profile and --scan are separate jobs: give one of them"),
        (("{tcp}", "--all-orders", "-t", "float32"), r"--type does not apply to --all-orders"),
        (("{tcp}", "--all-orders", "-r", "coil"), r"--all-orders reads registers"),
        (("{tcp}", "--bogus"), r"unknown option '--bogus'"),
        (("{tcp}", "-u"), r"-u needs a value"),
        (("{tcp}", "extra"), r"unexpected argument 'extra'"),
        (("tcp", "host:99999"), r"'host:99999': the port must be 1\.\.65535"),
    ]

    def test_bad_arguments_exit_2(self):
        tcp = f"{HOST}:{free_port()}"
        for args, message in self.BAD:
            argv = []
            for a in args:
                argv += ["tcp", tcp] if a == "{tcp}" else [a]
            with self.subTest(args=" ".join(argv)):
                rc, out, err = probe(*argv)
                self.assertEqual(rc, 2, f"stdout:\n{out}\nstderr:\n{err}")
                self.assertRegex(err, r"^facmon probe: " + message)
                self.assertIn("Run 'facmon probe --help'", err)
                self.assertEqual(out, "")

    def test_unknown_profile_exits_1_and_lists_profiles(self):
        rc, out, err = probe("tcp", f"{HOST}:{free_port()}",
                               "--profile", "no-such-model")
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"no-such-model\.cfg: cannot read")
        self.assertRegex(err, r"known profiles in .*: .*\bmodbus-di8\b.*\bxy-md02\b")

    def test_help(self):
        rc, out, err = probe("--help")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("Usage: facmon probe tcp HOST[:PORT] [OPTIONS]"))
        for text in ("--all-orders", "--profile NAME", "--scan [FROM-TO]",
                     "Exit status:", "Examples:", "40001 is --read holding --address 0"):
            self.assertIn(text, out)
        rc2, out2, _ = probe("rtu", "/dev/null", "-h")
        self.assertEqual((rc2, out2), (0, out))


if __name__ == "__main__":
    unittest.main(verbosity=2)
