"""test_sim_rtu.py - facmon-sim over Modbus RTU, and the faults it injects.

The simulator serves its units on one end of a socat pty pair (PtyPair.a);
an independent client, pymodbus's ModbusSerialClient (Debian's pymodbus
3.0, RTU framer), talks on the other end (.b), and for what pymodbus cannot
do (two requests back to back) raw frames go through pyserial. Checked
here: each unit answers from its own profile's encoding; unserved, muted
and broadcast requests get no answer at all and do not disturb the next
request; exception rules hit exactly the reads that cover their address;
`slow` delays answers, on RTU holding the whole line; the request log
records unit, function, address and count; the line is reopened when the
pty pair comes back; and the command line rejects bad serial settings.
"""

import contextlib
import logging
import subprocess
import time
import unittest

import serial
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.pdu import ExceptionResponse

from harness import PtyPair, Sim, SimError, profile_dir, sim_bin, wait_until

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # timeouts are expected

XY = "xy-md02"      # temperature: input 1, int16 x0.1; humidity: input 2, x0.1
DI8 = "modbus-di8"  # di1..di8: discrete inputs 0..7

TIMEOUT_S = 1       # pymodbus 3.0 keeps only whole seconds


@contextlib.contextmanager
def rtu(path, baudrate=9600, parity="N"):
    """An independent Modbus RTU client on PATH: 1 s timeout, no retries.
    Not strict: pyserial's inter-byte timeout with parity on a pty fails
    (EINVAL), and a pty has no byte timing to check anyway."""
    client = ModbusSerialClient(path, framer=ModbusRtuFramer,
                                baudrate=baudrate, bytesize=8, parity=parity,
                                stopbits=1, timeout=TIMEOUT_S, retries=0,
                                strict=False)
    if not client.connect():
        raise AssertionError(f"cannot open {path}")
    try:
        yield client
    finally:
        client.close()


def outcome(rr):
    """("ok", values), ("exception", code) or ("timeout", None)."""
    if isinstance(rr, ExceptionResponse):
        return ("exception", rr.exception_code)
    if rr.isError():
        return ("timeout", None)
    if hasattr(rr, "registers"):
        return ("ok", list(rr.registers))
    return ("ok", list(rr.bits))


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def crc16(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def read_frame(unit, function, address, count):
    """A raw RTU read request with its CRC."""
    body = bytes([unit, function, address >> 8, address & 0xFF,
                  count >> 8, count & 0xFF])
    return body + crc16(body)


class RtuServeTest(unittest.TestCase):

    def test_two_units_answer_with_their_own_profiles(self):
        with PtyPair() as pty, \
                Sim({1: XY, 3: DI8}, serial=pty.a,
                    sets={"1.temperature": 30.5, "1.humidity": 54.6}) as sim, \
                rtu(pty.b) as mb:
            self.assertIsNone(sim.port, "no TCP unless asked for")
            self.assertEqual(outcome(mb.read_input_registers(1, 2, slave=1)),
                             ("ok", [305, 546]))
            sim.set(1, "temperature", -20.5)  # two's complement 0xFF33
            self.assertEqual(outcome(mb.read_input_registers(1, 1, slave=1)),
                             ("ok", [0xFF33]))
            sim.set(1, "temperature_correction", -1.5)
            self.assertEqual(
                outcome(mb.read_holding_registers(259, 2, slave=1)),
                ("ok", [0xFFF1, 0]))
            sim.set(3, "di2", 1)
            sim.raw(3, "discrete", 7, 1)
            state, bits = outcome(mb.read_discrete_inputs(0, 8, slave=3))
            self.assertEqual((state, bits[:8]),
                             ("ok", [False, True] + [False] * 5 + [True]))
            # Unit 3 has its own tables: nothing at unit 1's addresses.
            self.assertEqual(outcome(mb.read_input_registers(1, 2, slave=3)),
                             ("ok", [0, 0]))
            # A write reaches the unit's table and reads back.
            self.assertFalse(mb.write_register(259, 7, slave=1).isError())
            self.assertEqual(sim.raw(1, "holding", 259), 7)
            self.assertEqual(sim.stats(1), 4)
            self.assertEqual(sim.stats(3), 2)

    def test_unserved_muted_and_broadcast_get_no_answer(self):
        with PtyPair() as pty, Sim({1: XY, 2: XY}, serial=pty.a) as sim, \
                rtu(pty.b) as mb:
            for unit in (9, 0):
                rr, took = timed(lambda: mb.read_input_registers(
                    1, 1, slave=unit))
                self.assertEqual(outcome(rr), ("timeout", None), unit)
                self.assertGreaterEqual(took, 0.9, "silence, not an error")
                # The very next request, for a served unit, is answered:
                # the silence swallowed nothing.
                rr, took = timed(lambda: mb.read_input_registers(
                    1, 1, slave=1))
                self.assertEqual(outcome(rr), ("ok", [225]))
                self.assertLess(took, 0.5)
            sim.mute(2, True)
            self.assertEqual(outcome(mb.read_input_registers(1, 1, slave=2)),
                             ("timeout", None))
            self.assertEqual(outcome(mb.read_input_registers(2, 1, slave=1)),
                             ("ok", [450]))
            sim.mute(2, False)
            self.assertEqual(outcome(mb.read_input_registers(1, 1, slave=2)),
                             ("ok", [225]))
            self.assertEqual(sim.stats(), 7, "unanswered requests count too")
            self.assertEqual(sim.stats(2), 2)

    def test_garbage_on_the_line_is_skipped(self):
        with PtyPair() as pty, Sim({1: XY}, serial=pty.a) as sim, \
                serial.Serial(pty.b, 9600, timeout=TIMEOUT_S) as line:
            # Half a frame, a frame with a bad CRC, another device's reply,
            # then a good request: only the last is answered.
            good = read_frame(1, 4, 1, 2)
            bad = bytearray(read_frame(1, 4, 1, 1))
            bad[-1] ^= 0xFF
            reply = bytes([1, 4, 2, 0, 225])
            line.write(good[:3] + bytes(bad) + reply + crc16(reply) + good)
            answer = line.read(9)
            self.assertEqual(answer[:7], bytes([1, 4, 4, 0, 225, 1, 194]))
            self.assertEqual(answer[7:], crc16(answer[:7]))
            self.assertEqual(line.read(1), b"", "exactly one answer")
            self.assertEqual(sim.stats(1), 1)
            # Junk that looks like the start of a long FC16 frame (240 data
            # bytes), then a good request: the silence after it shows the
            # junk was none, and the request behind it is found.
            line.write(bytes([5, 16, 0, 0, 0, 120, 240]) + good)
            answer = line.read(9)
            self.assertEqual(answer[:7], bytes([1, 4, 4, 0, 225, 1, 194]))
            self.assertEqual(sim.stats(1), 2)
            self.assertEqual(sim.stats(), 2, "nothing else taken for a request")

    def test_tcp_and_rtu_serve_the_same_units(self):
        with PtyPair() as pty, Sim({1: XY}, serial=pty.a, tcp=True) as sim, \
                rtu(pty.b) as mb:
            tcp = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=1,
                                  retries=0)
            self.assertTrue(tcp.connect())
            try:
                sim.set(1, "humidity", 61.2)
                self.assertEqual(
                    outcome(tcp.read_input_registers(2, 1, slave=1)),
                    ("ok", [612]))
                self.assertEqual(
                    outcome(mb.read_input_registers(2, 1, slave=1)),
                    ("ok", [612]))
            finally:
                tcp.close()
            self.assertIn(f"serving units 1 on 127.0.0.1:{sim.port} and "
                          f"{pty.a} (RTU 9600 8N1)", sim.log())

    def test_line_is_reopened_when_the_ptys_come_back(self):
        with PtyPair() as pty, Sim({1: XY}, serial=pty.a) as sim:
            with rtu(pty.b) as mb:
                self.assertEqual(
                    outcome(mb.read_input_registers(1, 1, slave=1)),
                    ("ok", [225]))
            pty.restart()
            wait_until(lambda: "open again" in sim.log(), timeout=5,
                       message="the simulator to reopen its line")
            with rtu(pty.b) as mb:
                self.assertEqual(
                    outcome(mb.read_input_registers(1, 1, slave=1)),
                    ("ok", [225]))
            self.assertTrue(sim.running())
            self.assertEqual(sim.stop(), 0, sim.log())


class RtuFaultTest(unittest.TestCase):

    def test_exception_hits_exactly_the_reads_covering_its_address(self):
        with PtyPair() as pty, Sim({1: XY, 2: XY}, serial=pty.a) as sim, \
                rtu(pty.b) as mb:
            sim.exception(1, "input", 2, 2)
            sim.exception(1, "holding", 260, 6)
            cases = [
                # (what, unit, address, count, want)
                ("input", 1, 1, 1, ("ok", [225])),
                ("input", 1, 2, 1, ("exception", 2)),
                ("input", 1, 1, 2, ("exception", 2)),
                ("input", 1, 0, 5, ("exception", 2)),
                ("input", 1, 3, 2, ("ok", [0, 0])),
                ("input", 1, 0, 2, ("ok", [0, 225])),
                ("input", 2, 2, 1, ("ok", [450])),        # another unit
                ("holding", 1, 2, 1, ("ok", [0])),        # another table
                ("holding", 1, 259, 2, ("exception", 6)),
                ("holding", 1, 259, 1, ("ok", [0])),
            ]
            for table, unit, address, count, want in cases:
                read = (mb.read_input_registers if table == "input"
                        else mb.read_holding_registers)
                with self.subTest(table=table, unit=unit, address=address,
                                  count=count):
                    self.assertEqual(outcome(read(address, count, slave=unit)),
                                     want)
            # A new code for the same address replaces the old one.
            sim.exception(1, "input", 2, 4)
            self.assertEqual(outcome(mb.read_input_registers(2, 1, slave=1)),
                             ("exception", 4))
            sim.clear_exceptions(1)
            self.assertEqual(outcome(mb.read_input_registers(1, 2, slave=1)),
                             ("ok", [225, 450]))
            self.assertEqual(
                outcome(mb.read_holding_registers(259, 2, slave=1)),
                ("ok", [0, 0]))

    def test_exception_on_bits(self):
        with PtyPair() as pty, Sim({3: DI8}, serial=pty.a) as sim, \
                rtu(pty.b) as mb:
            sim.exception(3, "discrete", 7, 2)
            self.assertEqual(outcome(mb.read_discrete_inputs(0, 8, slave=3)),
                             ("exception", 2))
            state, _ = outcome(mb.read_discrete_inputs(0, 7, slave=3))
            self.assertEqual(state, "ok")
            state, _ = outcome(mb.read_coils(0, 8, slave=3))
            self.assertEqual(state, "ok", "coils are another table")

    def test_slow_unit_answers_late(self):
        with PtyPair() as pty, Sim({1: XY, 2: XY}, serial=pty.a) as sim, \
                rtu(pty.b) as mb:
            sim.slow(1, 400)
            rr, took = timed(lambda: mb.read_input_registers(1, 1, slave=1))
            self.assertEqual(outcome(rr), ("ok", [225]))
            self.assertGreaterEqual(took, 0.38)
            self.assertLess(took, 0.9)
            rr, took = timed(lambda: mb.read_input_registers(1, 1, slave=2))
            self.assertEqual(outcome(rr), ("ok", [225]))
            self.assertLess(took, 0.2, "unit 2 is not slow")
            # Slower than the client waits: a timeout, then normal again.
            sim.slow(1, 1500)
            self.assertEqual(outcome(mb.read_input_registers(1, 1, slave=1)),
                             ("timeout", None))
            sim.slow(1, 0)
            time.sleep(0.7)  # let the held reply go out and be flushed
            rr, took = timed(lambda: mb.read_input_registers(1, 1, slave=1))
            self.assertEqual(outcome(rr), ("ok", [225]))
            self.assertLess(took, 0.2)

    def test_slow_unit_holds_the_line(self):
        with PtyPair() as pty, Sim({1: XY, 2: XY}, serial=pty.a) as sim, \
                serial.Serial(pty.b, 9600, timeout=2) as line:
            sim.set(2, "temperature", 30)
            sim.slow(1, 500)
            start = time.monotonic()
            line.write(read_frame(1, 4, 1, 1) + read_frame(2, 4, 1, 1))
            first = line.read(7)
            t_first = time.monotonic() - start
            second = line.read(7)
            t_second = time.monotonic() - start
            self.assertEqual(first[:5], bytes([1, 4, 2, 0, 225]))
            self.assertEqual(second[:5], bytes([2, 4, 2, 1, 44]))
            self.assertGreaterEqual(t_first, 0.48)
            self.assertLess(t_first, 1.2)
            self.assertGreaterEqual(t_second, 0.48,
                                    "unit 2 waited for the line")
            self.assertLess(t_second - t_first, 0.2)

    def test_muted_while_slow_never_answers(self):
        with PtyPair() as pty, Sim({1: XY}, serial=pty.a) as sim, \
                serial.Serial(pty.b, 9600, timeout=1.2) as line:
            sim.slow(1, 600)
            line.write(read_frame(1, 4, 1, 1))
            time.sleep(0.2)
            sim.mute(1, True)
            self.assertEqual(line.read(7), b"")

    def test_request_log_records_what_was_read(self):
        with PtyPair() as pty, Sim({1: XY, 3: DI8}, serial=pty.a) as sim, \
                rtu(pty.b) as mb:
            with self.assertRaises(SimError):
                sim.requests()  # never turned on
            mb.read_input_registers(1, 2, slave=1)  # before: not recorded
            sim.request_log(True)
            before_ms = time.monotonic() * 1000
            mb.read_input_registers(1, 2, slave=1)
            mb.read_discrete_inputs(0, 8, slave=3)
            mb.read_holding_registers(259, 2, slave=1)
            mb.read_input_registers(5, 1, slave=9)  # unserved: still logged
            mb.write_register(260, 3, slave=1)
            mb.write_registers(259, [1, 2], slave=1)
            after_ms = time.monotonic() * 1000
            got = sim.requests()
            want = [
                {"unit": 1, "fc": 4, "addr": 1, "count": 2},
                {"unit": 3, "fc": 2, "addr": 0, "count": 8},
                {"unit": 1, "fc": 3, "addr": 259, "count": 2},
                {"unit": 9, "fc": 4, "addr": 5, "count": 1},
                {"unit": 1, "fc": 6, "addr": 260, "count": 1},
                {"unit": 1, "fc": 16, "addr": 259, "count": 2},
            ]
            self.assertEqual([{k: r[k] for k in ("unit", "fc", "addr",
                                                  "count")} for r in got],
                             want)
            times = [r["t"] for r in got]
            self.assertEqual(times, sorted(times))
            self.assertGreaterEqual(times[0], before_ms - 5)
            self.assertLessEqual(times[-1], after_ms + 5)
            self.assertGreaterEqual(times[4] - times[3], 900,
                                    "the unserved read timed out in between")
            self.assertEqual(sim.requests(2), got[-2:])
            self.assertEqual(sim.requests(0), [])
            sim.request_log(False)
            mb.read_input_registers(1, 1, slave=1)
            self.assertEqual(len(sim.requests()), 6, "off: kept, not added")
            sim.request_log(True)
            self.assertEqual(sim.requests(), [], "on again: emptied")


class SimCommandLineTest(unittest.TestCase):

    def run_sim(self, *args):
        return subprocess.run(
            [sim_bin(), "--profile-dir", profile_dir()] + list(args),
            capture_output=True, text=True, timeout=10,
            stdin=subprocess.DEVNULL)

    def test_bad_serial_settings_are_usage_errors(self):
        cases = [
            (["--serial", "/dev/null", "--baud", "14400", "1=xy-md02"],
             "bad --baud 14400"),
            (["--serial", "/dev/null", "--parity", "mark", "1=xy-md02"],
             "bad --parity mark"),
            (["--serial", "/dev/null", "--data-bits", "9", "1=xy-md02"],
             "bad --data-bits 9"),
            (["--serial", "/dev/null", "--stop-bits", "0", "1=xy-md02"],
             "bad --stop-bits 0"),
            (["--baud", "19200", "1=xy-md02"], "need --serial"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                proc = self.run_sim(*args)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(want, proc.stderr)

    def test_missing_serial_device_fails_to_start(self):
        proc = self.run_sim("--serial", "/nonexistent/ttyUSB9", "1=xy-md02")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("serial /nonexistent/ttyUSB9: cannot open",
                      proc.stderr)

    def test_help_documents_serial_and_faults(self):
        proc = self.run_sim("--help")
        self.assertEqual(proc.returncode, 0)
        for text in ("--serial DEVICE", "--parity", "slow UNIT MS",
                     "exception UNIT clear", "log on|off", "requests [N]",
                     "ok end"):
            self.assertIn(text, proc.stdout)

    def test_other_parity_is_configured(self):
        with PtyPair() as pty, \
                Sim({1: XY}, serial=pty.a, baud=19200, parity="even") as sim, \
                rtu(pty.b, baudrate=19200, parity="E") as mb:
            self.assertEqual(outcome(mb.read_input_registers(1, 1, slave=1)),
                             ("ok", [225]))
            self.assertIn("(RTU 19200 8E1)", sim.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
