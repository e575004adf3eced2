"""test_harness.py - proves the fixtures every integration test relies on.

If these fail, nothing else in tests/integration means anything: the
simulator must serve the encoding the profiles describe (checked here with
an independent Modbus client, pymodbus), stay silent for muted and unserved
units, inject the faults asked for (exceptions, slowness) and record the
requests it gets, and the broker and MqttWatch must deliver what is
published. The RTU side of the simulator is in test_sim_rtu.py.
"""

import contextlib
import logging
import os
import select
import threading
import time
import unittest

from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse

from harness import (Agent, Mosquitto, MqttWatch, PtyPair, Sim, SimError,
                     _fill, free_port, mosquitto_pub, port_open, room_config,
                     run_cli, wait_port)

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # timeouts are expected

XY = "xy-md02"  # temperature: input 1, int16 x0.1; humidity: input 2, x0.1


@contextlib.contextmanager
def modbus(port):
    """An independent Modbus TCP client: 1 s timeout, no retries."""
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=1, retries=0)
    if not client.connect():
        raise AssertionError(f"cannot connect to the simulator on {port}")
    try:
        yield client
    finally:
        client.close()


def input_registers(client, unit, address, count):
    """The registers, or None when the unit did not answer."""
    rr = client.read_input_registers(address, count, slave=unit)
    return None if rr.isError() else list(rr.registers)


class SimTest(unittest.TestCase):

    def test_set_is_encoded_like_the_device_and_read_back(self):
        with Sim({1: XY, 2: XY}) as sim, modbus(sim.port) as mb:
            self.assertEqual(input_registers(mb, 1, 1, 2), [225, 450],
                             "initial 22.5 degC / 45 %RH")
            self.assertEqual(sim.get(1, "temperature_correction"), 0.0,
                             "a correction is not a temperature")
            sim.set(1, "temperature", 35.0)
            self.assertEqual(sim.get(1, "temperature"), 35.0)
            self.assertEqual(input_registers(mb, 1, 1, 1), [350])
            # Each unit has its own registers.
            self.assertEqual(input_registers(mb, 2, 1, 2), [225, 450])
            # Negative temperatures are two's complement (0xFF33 = -20.5).
            sim.set(1, "temperature", -20.5)
            self.assertEqual(input_registers(mb, 1, 1, 1), [0xFF33])
            self.assertEqual(sim.raw(1, "input", 1), 0xFF33)

    def test_raw_register_is_decoded_by_get(self):
        with Sim({1: XY}) as sim, modbus(sim.port) as mb:
            sim.raw(1, "input", 1, 0x0131)
            self.assertEqual(input_registers(mb, 1, 1, 1), [0x0131])
            self.assertAlmostEqual(sim.get(1, "temperature"), 30.5)
            sim.raw(1, "input", 1, 0x8000)  # the usual "no sensor" sentinel
            self.assertAlmostEqual(sim.get(1, "temperature"), -3276.8)

    def test_set_option_gives_initial_values(self):
        with Sim({1: XY}, sets={"1.temperature": 30.5, "1.humidity": 54.6}) \
                as sim, modbus(sim.port) as mb:
            self.assertEqual(input_registers(mb, 1, 1, 2), [305, 546])

    def test_discrete_inputs(self):
        with Sim({3: "modbus-di8"}) as sim, modbus(sim.port) as mb:
            sim.set(3, "di2", 1)
            sim.raw(3, "discrete", 7, 1)
            rr = mb.read_discrete_inputs(0, 8, slave=3)
            self.assertFalse(rr.isError(), rr)
            self.assertEqual(rr.bits[:8], [False, True] + [False] * 5 + [True])
            self.assertEqual(sim.get(3, "di8"), 1.0)
            with self.assertRaises(SimError):
                sim.set(3, "di1", 2)

    def test_control_errors(self):
        with Sim({1: XY}) as sim:
            cases = [
                ("set 9.temperature 1", "unknown unit"),
                ("set 1.nosuchpoint 1", "unknown point"),
                ("set 1.temperature warm", "bad value"),
                ("set 1.temperature 4000", "out of range"),
                ("raw 1 input 70000 1", "bad address"),
                ("raw 1 sideways 1 1", "bad table"),
                ("mute 1 maybe", "on|off"),
                ("frobnicate", "unknown command"),
                ("get", "usage"),
            ]
            for line, want in cases:
                with self.subTest(line=line):
                    with self.assertRaises(SimError) as cm:
                        sim.command(line)
                    self.assertIn(want, str(cm.exception))
            # Nothing above changed the value.
            self.assertEqual(sim.get(1, "temperature"), 22.5)

    def test_muted_unit_times_out_and_comes_back(self):
        with Sim({1: XY, 2: XY}) as sim, modbus(sim.port) as mb:
            sim.mute(1, True)
            start = time.monotonic()
            self.assertIsNone(input_registers(mb, 1, 1, 1))
            self.assertGreaterEqual(time.monotonic() - start, 0.9,
                                    "no answer at all, not an exception")
            self.assertEqual(input_registers(mb, 2, 1, 1), [225])
            sim.mute(1, False)
            self.assertEqual(input_registers(mb, 1, 1, 1), [225])

    def test_unserved_unit_times_out_served_one_answers(self):
        with Sim({1: XY}) as sim, modbus(sim.port) as mb:
            self.assertIsNone(input_registers(mb, 9, 1, 1))
            self.assertEqual(input_registers(mb, 1, 1, 1), [225])

    def test_stats_counts_requests(self):
        with Sim({1: XY, 2: XY}) as sim, modbus(sim.port) as mb:
            self.assertEqual(sim.stats(), 0)
            for _ in range(3):
                self.assertIsNotNone(input_registers(mb, 1, 1, 2))
            sim.mute(2, True)
            self.assertIsNone(input_registers(mb, 2, 1, 2))
            self.assertIsNone(input_registers(mb, 7, 1, 2))
            self.assertEqual(sim.stats(), 5)
            self.assertEqual(sim.stats(1), 3)
            self.assertEqual(sim.stats(2), 1, "muted requests count too")

    def test_exception_over_tcp(self):
        with Sim({1: XY, 2: XY}) as sim, modbus(sim.port) as mb:
            sim.exception(1, "input", 2, 6)
            rr = mb.read_input_registers(1, 2, slave=1)
            self.assertIsInstance(rr, ExceptionResponse)
            self.assertEqual(rr.exception_code, 6)
            rr = mb.read_input_registers(2, 1, slave=1)
            self.assertEqual(getattr(rr, "exception_code", None), 6)
            self.assertEqual(input_registers(mb, 1, 1, 1), [225])
            self.assertEqual(input_registers(mb, 1, 3, 1), [0])
            self.assertEqual(input_registers(mb, 2, 1, 2), [225, 450])
            sim.clear_exceptions(1)
            self.assertEqual(input_registers(mb, 1, 1, 2), [225, 450])

    def test_slow_over_tcp_holds_only_that_connection(self):
        with Sim({1: XY, 2: XY}) as sim, modbus(sim.port) as slow_mb, \
                modbus(sim.port) as other_mb:
            sim.slow(1, 700)
            result = {}

            def slow_read():
                start = time.monotonic()
                result["registers"] = input_registers(slow_mb, 1, 1, 1)
                result["took"] = time.monotonic() - start

            reader = threading.Thread(target=slow_read)
            reader.start()
            time.sleep(0.1)  # the slow request is in
            start = time.monotonic()
            self.assertEqual(input_registers(other_mb, 2, 1, 1), [225])
            self.assertEqual(sim.get(1, "temperature"), 22.5)
            self.assertLess(time.monotonic() - start, 0.3,
                            "another connection and the control port "
                            "are not held up")
            reader.join(5)
            self.assertEqual(result["registers"], [225])
            self.assertGreaterEqual(result["took"], 0.68)
            self.assertLess(result["took"], 0.95)
            sim.slow(1, 0)
            start = time.monotonic()
            self.assertEqual(input_registers(slow_mb, 1, 1, 1), [225])
            self.assertLess(time.monotonic() - start, 0.2)

    def test_request_log_over_tcp(self):
        with Sim({1: XY, 2: XY}) as sim, modbus(sim.port) as mb:
            sim.request_log(True)
            input_registers(mb, 1, 1, 2)
            mb.read_holding_registers(259, 2, slave=2)
            self.assertEqual(
                [(r["unit"], r["fc"], r["addr"], r["count"])
                 for r in sim.requests()],
                [(1, 4, 1, 2), (2, 3, 259, 2)])

    def test_fault_control_errors(self):
        with Sim({1: XY}) as sim:
            cases = [
                ("slow 1 -5", "bad delay"),
                ("slow 1 60001", "bad delay"),
                ("slow 9 100", "unknown unit"),
                ("exception 1 input 5 -1", "bad exception code"),
                ("exception 1 input 5 12", "bad exception code"),
                ("exception 1 sideways 5 2", "bad table"),
                ("exception 1 input 70000 2", "bad address"),
                ("exception 1 input 5", "usage"),
                ("exception 1 muddle", "usage"),
                ("log maybe", "on|off"),
                ("requests", "log on"),
                ("requests 1 2", "usage"),
            ]
            for line, want in cases:
                with self.subTest(line=line):
                    with self.assertRaises(SimError) as cm:
                        sim.command(line)
                    self.assertIn(want, str(cm.exception))
            sim.request_log(True)
            with self.assertRaises(SimError) as cm:
                sim.command("requests x")
            self.assertIn("bad count", str(cm.exception))
            self.assertIn("slow UNIT MS", sim.command("help"))

    def test_restart_same_ports_initial_values(self):
        with Sim({1: XY}) as sim:
            port, control_port, old_pid = sim.port, sim.control_port, sim.pid
            sim.set(1, "temperature", 40)
            sim.restart()
            self.assertNotEqual(sim.pid, old_pid)
            self.assertEqual((sim.port, sim.control_port), (port, control_port))
            self.assertEqual(sim.get(1, "temperature"), 22.5)
            with modbus(sim.port) as mb:
                self.assertEqual(input_registers(mb, 1, 1, 1), [225])

    def test_stop_is_clean_and_frees_the_ports(self):
        sim = Sim({1: XY})
        try:
            self.assertEqual(sim.stop(), 0, sim.log())
            self.assertFalse(port_open(sim.port))
            self.assertFalse(port_open(sim.control_port))
            self.assertIn(f"serving units 1 on 127.0.0.1:{sim.port}, control "
                          f"on 127.0.0.1:{sim.control_port}", sim.log())
        finally:
            sim.close()

    def test_bad_profile_fails_fast_with_its_log(self):
        start = time.monotonic()
        with self.assertRaises(RuntimeError) as cm:
            Sim({1: "no-such-profile"})
        self.assertLess(time.monotonic() - start, 5)
        self.assertIn("no-such-profile", str(cm.exception))


class MqttTest(unittest.TestCase):

    def test_published_message_reaches_watch(self):
        with Mosquitto() as broker, MqttWatch(broker.port, "facmon/#") as w:
            mark = w.mark()
            mosquitto_pub(broker.port, "facmon/s/g/status",
                          '{"state":"online"}', retain=True)
            mosquitto_pub(broker.port, "other/topic", '{"state":"x"}')
            m = w.wait_for("facmon/+/+/status",
                           lambda p: p["state"] == "online", after=mark)
            self.assertEqual(m.topic, "facmon/s/g/status")
            self.assertEqual(m.payload, {"state": "online"})
            self.assertFalse(m.retained, "live delivery is not flagged")
            self.assertEqual(w.messages("other/#"), [])
            # A later subscriber gets it as a retained message.
            with MqttWatch(broker.port, "facmon/#") as late:
                r = late.wait_for("facmon/s/g/status")
                self.assertTrue(r.retained)

    def test_wait_for_fails_with_what_it_saw(self):
        with Mosquitto() as broker, MqttWatch(broker.port) as w:
            mosquitto_pub(broker.port, "facmon/a", '{"v":1}')
            w.wait_for("facmon/a")
            with self.assertRaises(AssertionError) as cm:
                w.wait_for("facmon/a", lambda p: p["v"] == 2, timeout=0.5)
            self.assertIn('facmon/a {"v":1}', str(cm.exception))
            # AFTER skips what came before.
            with self.assertRaises(AssertionError):
                w.wait_for("facmon/a", timeout=0.3, after=w.mark())

    def test_broker_restart_same_port_and_watch_resubscribes(self):
        with Mosquitto() as broker, MqttWatch(broker.port, "t/#") as w:
            port, old_pid = broker.port, broker.pid
            broker.restart()
            self.assertEqual(broker.port, port)
            self.assertNotEqual(broker.pid, old_pid)
            deadline = time.monotonic() + 10
            # The watch reconnects on its own; publish until it sees one.
            while time.monotonic() < deadline:
                mosquitto_pub(port, "t/after", '{"n":1}')
                if w.messages("t/after"):
                    break
                time.sleep(0.2)
            self.assertTrue(w.messages("t/after"), "watch did not resubscribe")

    def test_stop_kills_by_pid(self):
        broker = Mosquitto()
        try:
            pid = broker.pid
            broker.stop()
            self.assertFalse(broker.running())
            self.assertFalse(port_open(broker.port))
            with self.assertRaises(ProcessLookupError):
                os.kill(pid, 0)
        finally:
            broker.close()


class AgentFixtureTest(unittest.TestCase):

    def test_fill_replaces_only_placeholders(self):
        text = 'agent = { state_dir = "{state_dir}"; };\nx = {port};'
        self.assertEqual(_fill(text, {"state_dir": "/s", "port": 7}),
                         'agent = { state_dir = "/s"; };\nx = 7;')
        with self.assertRaises(KeyError) as cm:
            _fill("port = {prot};", {"port": 1})
        self.assertIn("prot", str(cm.exception))

    def test_room_config_runs_and_stops_cleanly(self):
        with Mosquitto() as broker, Sim({1: XY}, sets={"1.temperature": 24}) \
                as sim, MqttWatch(broker.port, "facmon/#") as watch:
            config = room_config(broker.port, sim.port,
                                 devices=[("rack-a", 1, XY)])
            with Agent(config) as agent:
                self.assertNotRegex(agent.config(), r"\{[a-z_]+\}")
                self.assertIn(f'state_dir = "{agent.state_dir}";',
                              agent.config())
                rc, out, err = run_cli("check", "-c", agent.config_path)
                self.assertEqual(rc, 0, out + err)
                m = watch.wait_for(
                    "facmon/testsite/gw1/telemetry/rack-a",
                    lambda p: p["points"]["temperature"]["v"] == 24.0)
                self.assertEqual(m.payload["points"]["humidity"]["v"], 45)
                self.assertEqual(agent.stop(), 0, agent.log())
                self.assertGreater(sim.stats(1), 0)


class PtyPairTest(unittest.TestCase):

    def test_bytes_cross_and_stop_kills_by_pid(self):
        pty = PtyPair()
        try:
            a = os.open(pty.a, os.O_RDWR | os.O_NOCTTY)
            b = os.open(pty.b, os.O_RDWR | os.O_NOCTTY)
            try:
                os.write(a, b"\x01\x04\x00\x01")
                got = b""
                deadline = time.monotonic() + 5
                while len(got) < 4 and time.monotonic() < deadline:
                    ready, _, _ = select.select([b], [], [], 0.1)
                    if ready:
                        got += os.read(b, 4 - len(got))
                self.assertEqual(got, b"\x01\x04\x00\x01", "raw: no echo, "
                                 "no newline translation")
            finally:
                os.close(a)
                os.close(b)
            pid = pty.pid
            pty.stop()
            self.assertFalse(pty.running())
            with self.assertRaises(ProcessLookupError):
                os.kill(pid, 0)
        finally:
            pty.close()


class PortTest(unittest.TestCase):

    def test_wait_port_times_out_on_a_closed_port(self):
        port = free_port()
        start = time.monotonic()
        with self.assertRaises(TimeoutError):
            wait_port(port, timeout=0.3)
        self.assertLess(time.monotonic() - start, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
