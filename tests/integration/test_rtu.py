"""test_rtu.py - the agent on a Modbus RTU line, over a socat pty pair.

facmon-sim serves several unit ids on one end of the pair, the agent polls
the other end as a modbus-rtu bus. Checks: units with different profiles on
one line; a float32 in cdab word order and one bit of a status register; a
Modbus exception for one block splits it so the device's other points keep
being read, and the failing point is named; a silent unit goes down while
its neighbours on the same line stay up; delay_ms paces the line (requests
per second counted at the simulator, compared loosely).
"""

import struct
import time
import unittest

from harness import Agent, Mosquitto, MqttWatch, PtyPair, Sim, state_is

ROOT = "facmon/testsite/gw1"

CONFIG = """
agent = {{ site = "testsite"; name = "gw1"; state_dir = "{{state_dir}}";
          profile_dir = "{{profile_dir}}"; log_level = "debug"; }};
mqtt = {{ host = "127.0.0.1"; port = {mqtt_port}; }};
buses = (
  {{ name = "rs485a"; type = "modbus-rtu"; device = "{device}"; baud = 9600;
    parity = "none"; data_bits = 8; stop_bits = 1; timeout_ms = 300;
    delay_ms = {delay_ms}; }}
);
devices = (
  {{ name = "rack-a"; bus = "rs485a"; unit = 1; profile = "xy-md02"; interval = 1;
    down_after = 2;
    points = (
      {{ name = "power_kw"; read = "holding"; address = 20; type = "float32";
        order = "cdab"; unit = "kW"; }},
      {{ name = "spare"; read = "holding"; address = 22; }},
      {{ name = "ac_running"; read = "holding"; address = 30; bit = 3; }}
    ); }},
  {{ name = "floor"; bus = "rs485a"; unit = 3; profile = "modbus-di8"; interval = 1;
    down_after = 2; }}
);
rules = ();
"""


def float_cdab(value):
    """The two registers a float32 occupies in cdab (word-swapped) order."""
    hi, lo = struct.unpack(">HH", struct.pack(">f", value))
    return lo, hi


class RtuLine(unittest.TestCase):

    def start(self, delay_ms=0):
        self.pty = PtyPair()
        self.addCleanup(self.pty.close)
        self.sim = Sim({1: "xy-md02", 3: "modbus-di8"}, serial=self.pty.a)
        self.addCleanup(self.sim.close)
        self.broker = Mosquitto()
        self.addCleanup(self.broker.close)
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        self.addCleanup(self.watch.close)
        lo, hi = float_cdab(12.75)
        self.sim.raw(1, "holding", 20, lo)
        self.sim.raw(1, "holding", 21, hi)
        self.sim.raw(1, "holding", 22, 777)
        self.sim.raw(1, "holding", 30, 0b1000)  # bit 3 set
        self.sim.set(3, "di2", 1)
        self.agent = Agent(CONFIG.format(mqtt_port=self.broker.port,
                                         device=self.pty.b, delay_ms=delay_ms))
        self.addCleanup(self.agent.close)

    def test_units_values_exception_and_silence(self):
        self.start()
        tel = self.watch.wait_for(f"{ROOT}/telemetry/rack-a",
                                  lambda p: "power_kw" in p["points"]).payload
        pts = tel["points"]
        self.assertEqual(pts["temperature"], {"v": 22.5, "unit": "degC"})
        self.assertEqual(pts["power_kw"], {"v": 12.75, "unit": "kW"})
        self.assertEqual(pts["spare"]["v"], 777)
        self.assertEqual(pts["ac_running"]["v"], 1)
        floor = self.watch.wait_for(f"{ROOT}/telemetry/floor").payload["points"]
        self.assertEqual((floor["di1"]["v"], floor["di2"]["v"]), (0, 1))

        # An exception on register 22 fails the block 20+3 that carries it;
        # the agent splits it, so power_kw goes on being read.
        mark = self.watch.mark()
        self.sim.exception(1, "holding", 22, 2)
        dev = self.watch.wait_for(f"{ROOT}/device/rack-a/state",
                                  state_is("degraded"), after=mark).payload
        self.assertRegex(dev["error"], r"spare: read holding 22\+1: exception 0x02 "
                                      r"\(illegal data address\)")
        later = self.watch.mark()
        tel = self.watch.wait_for(f"{ROOT}/telemetry/rack-a", after=later).payload
        self.assertEqual(tel["points"]["power_kw"]["v"], 12.75)
        self.assertEqual(tel["points"]["temperature"]["v"], 22.5)
        self.assertNotIn("spare", tel["points"])
        self.agent.wait_log(r"modbus\[rs485a/rack-a\]: read holding 20\+3: "
                            r"exception 0x02 \(illegal data address\); reading its 2 "
                            r"points one by one")

        # Unit 3 falls silent: it goes down, its neighbour stays as it was.
        mark = self.watch.mark()
        self.sim.mute(3, True)
        self.watch.wait_for(f"{ROOT}/device/floor/state", state_is("down"),
                            after=mark, timeout=15)
        self.watch.wait_for(f"{ROOT}/events",
                            lambda p: p["rule"] == "floor.comm" and p["to"] == "firing",
                            after=mark)
        later = self.watch.mark()
        self.watch.wait_for(f"{ROOT}/telemetry/rack-a", after=later)
        self.assertFalse([m for m in self.watch.messages(f"{ROOT}/device/rack-a/state", mark)
                          if m.payload["state"] == "down"])

    def test_delay_ms_paces_the_line(self):
        # rack-a needs 4 requests a poll (input 1+2, holding 20+3, holding
        # 30+1, holding 259+2) and floor 1, every second: more than the 4 a
        # second that 250 ms between requests allows, so the line runs flat
        # out and the pause is what limits it.
        delay_ms = 250
        self.start(delay_ms=delay_ms)
        self.watch.wait_for(f"{ROOT}/telemetry/floor")
        self.sim.request_log(True)
        time.sleep(4)
        reqs = self.sim.requests()
        self.sim.request_log(False)
        times = [r["t"] for r in reqs]
        self.assertGreater(len(times), 4)
        rate = (len(times) - 1) / ((times[-1] - times[0]) / 1000.0)
        gaps = [b - a for a, b in zip(times, times[1:])]
        print(f"delay_ms={delay_ms}: {rate:.2f} requests/s at the simulator, "
              f"smallest gap {min(gaps)} ms over {len(gaps)} gaps")
        self.assertLessEqual(rate, 1000.0 / delay_ms * 1.1)
        self.assertGreaterEqual(min(gaps), delay_ms * 0.9)


if __name__ == "__main__":
    unittest.main(verbosity=2)
