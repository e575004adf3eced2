"""test_alerts_e2e.py - the agent end to end: simulator -> facmon -> mosquitto.

A real broker on a free loopback port, facmon-sim serving an XY-MD02 and a
digital-input module, and `facmon run`. Checks what a dashboard and the
facility staff would see: telemetry with the right values, a threshold alert
firing on R/alert/<rule> and R/events, holding between `clear` and the
threshold (hysteresis), resolving below `clear`, an `equals` rule on a leak
contact, and `seq` rising by one per event.
"""

import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, event, room_config, state_is

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature";
    above = 30.0; clear = 28.0; severity = "critical"; controls = ["設46"]; },
  { name = "water-leak"; point = "floor.di1"; equals = 1;
    severity = "critical"; controls = ["設80"]; }
"""
DEVICES = (("rack-a", 1, "xy-md02"), ("floor", 3, "modbus-di8"))


def temperature_is(value):
    return lambda p: p["points"]["temperature"]["v"] == value


class AlertsEndToEnd(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = Mosquitto()
        cls.sim = Sim({1: "xy-md02", 3: "modbus-di8"},
                      sets={"1.temperature": 23.4, "1.humidity": 51.2})
        cls.watch = MqttWatch(cls.broker.port, f"{ROOT}/#")
        cls.agent = Agent(room_config(cls.broker.port, cls.sim.port,
                                      devices=DEVICES, rules=RULES))

    @classmethod
    def tearDownClass(cls):
        for f in (cls.agent, cls.watch, cls.sim, cls.broker):
            f.close()

    def test_1_status_online_and_telemetry_values(self):
        status = self.watch.wait_for(f"{ROOT}/status", state_is("online"))
        self.assertTrue(status.payload["version"])
        tel = self.watch.wait_for(f"{ROOT}/telemetry/rack-a",
                                  temperature_is(23.4)).payload
        self.assertEqual(tel["device"], "rack-a")
        self.assertEqual(tel["points"]["temperature"],
                         {"v": 23.4, "unit": "degC"})
        self.assertEqual(tel["points"]["humidity"],
                         {"v": 51.2, "unit": "%RH"})
        self.assertRegex(tel["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        floor = self.watch.wait_for(f"{ROOT}/telemetry/floor").payload
        self.assertEqual(floor["points"]["di1"]["v"], 0)
        dev = self.watch.wait_for(f"{ROOT}/device/rack-a/state",
                                  state_is("up")).payload
        self.assertIsNone(dev["error"])
        alert = self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                    state_is("ok")).payload
        self.assertEqual(alert["point"], "rack-a.temperature")
        self.assertEqual(alert["controls"], ["設46"])

    def test_2_threshold_fires_holds_and_resolves(self):
        mark = self.watch.mark()
        self.sim.set(1, "temperature", 35.0)
        ev = self.watch.wait_for(f"{ROOT}/events",
                                 event("room-temp-high", "firing"),
                                 after=mark).payload
        self.assertEqual((ev["from"], ev["severity"], ev["point"], ev["value"]),
                         ("ok", "critical", "rack-a.temperature", 35.0))
        self.assertEqual(ev["controls"], ["設46"])
        alert = self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                    state_is("firing"), after=mark)
        self.assertEqual(alert.payload["value"], 35.0)

        # Between clear (28) and above (30): still firing.
        mark = self.watch.mark()
        self.sim.set(1, "temperature", 29.0)
        self.watch.wait_for(f"{ROOT}/telemetry/rack-a", temperature_is(29.0),
                            after=mark)
        seen = self.watch.mark()
        self.watch.wait_for(f"{ROOT}/telemetry/rack-a", temperature_is(29.0),
                            after=seen)  # one more poll at 29.0
        transitions = [m.payload for m in self.watch.messages(f"{ROOT}/events", mark)
                       if m.payload["rule"] == "room-temp-high"]
        self.assertEqual(transitions, [], "29.0 is above clear: no transition")

        self.sim.set(1, "temperature", 27.5)
        ev = self.watch.wait_for(f"{ROOT}/events",
                                 event("room-temp-high", "resolved"),
                                 after=mark).payload
        self.assertEqual((ev["from"], ev["value"]), ("firing", 27.5))
        self.watch.wait_for(f"{ROOT}/events", event("room-temp-high", "ok"),
                            after=mark)

    def test_3_leak_contact_equals_rule(self):
        mark = self.watch.mark()
        self.sim.set(3, "di1", 1)
        ev = self.watch.wait_for(f"{ROOT}/events", event("water-leak", "firing"),
                                 after=mark).payload
        self.assertEqual((ev["point"], ev["value"], ev["controls"]),
                         ("floor.di1", 1, ["設80"]))
        self.sim.set(3, "di1", 0)
        self.watch.wait_for(f"{ROOT}/events", event("water-leak", "resolved"),
                            after=mark)

    def test_4_seq_rises_by_one(self):
        seqs = [m.payload["seq"] for m in self.watch.messages(f"{ROOT}/events")]
        self.assertGreater(len(seqs), 5)
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))),
                         f"seq must rise by one per event: {seqs}")
        self.assertEqual(seqs[0], 1)

    def test_5_clean_stop_publishes_offline(self):
        mark = self.watch.mark()
        self.assertEqual(self.agent.stop(), 0)
        self.watch.wait_for(f"{ROOT}/status", state_is("offline"), after=mark)
        self.assertIn("stopped", self.agent.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
