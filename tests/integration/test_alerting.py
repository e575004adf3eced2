"""test_alerting.py - the alert engine end to end: simulator -> facmon -> mosquitto.

What facility staff rely on beyond a fixed threshold, checked on a real
agent with the simulator and a real broker:
- a slow temperature ramp fires the rise rule before the threshold rule,
  with routing (location, runbook, owner) from the rule and the device;
- an ack sent with mosquitto_pub shows `acked` on R/alert/<rule> and stops
  its repeats;
- a mask rule on the fire panel's status word is one alert per bit set,
  named by the bit; a maintenance window in the config marks one of them
  silenced;
- an `all` rule (warm AND the AC stopped) fires only when both hold;
- a reading outside the sensor's range is a sensor fault (its own alert),
  and the temperature rule goes unknown instead of reading it;
- a firing alert survives a restart of the agent: it is republished
  retained as firing, no fresh `firing` event is sent, and seq continues.
"""

import time
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, event, mosquitto_pub, room_config,
                     state_is)

ROOT = "facmon/testsite/gw1"
DEVICES = (("rack-a", 1, "xy-md02"), ("fire", 4, "fire-panel-modbus-generic"),
           ("crac", 3, "modbus-di8"))
RULES = """
  { name = "ac-failure-suspected"; point = "rack-a.temperature";
    rise = 3.0; within = 60; severity = "critical"; controls = ["設76"];
    runbook = "https://wiki.example/ac-failure"; owner = "facility on call"; },
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 40.0; repeat = 2; },
  { name = "fire-panel"; point = "fire.panel_status"; mask = 0x0F;
    severity = "critical"; controls = ["設80"]; },
  { name = "ac-failure"; all = ( { point = "rack-a.temperature"; above = 27.0; },
                                 { point = "crac.di1"; equals = 0; } );
    severity = "critical"; controls = ["設76"]; }
"""


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def config(broker, sim):
    text = room_config(broker.port, sim.port, devices=DEVICES, rules=RULES)
    # a planned maintenance window on one bit of the panel, from the config
    text += (f'silences = ( {{ match = "fire-panel.supply*"; start = "{iso(time.time() - 60)}";'
             f' end = "{iso(time.time() + 3600)}"; by = "facility";'
             f' why = "battery replacement"; }} );\n')
    # routing on the device: every alert of rack-a carries its location
    return text.replace('name = "rack-a";', 'name = "rack-a"; location = "room 3, rack A";')


class Alerting(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02", 3: "modbus-di8", 4: "fire-panel-modbus-generic"},
                       sets={"1.temperature": 22.0, "3.di1": 1})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        self.agent = Agent(config(self.broker, self.sim))
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("ok"))

    def tearDown(self):
        for f in (self.agent, self.watch, self.sim, self.broker):
            f.close()

    def test_slow_ramp_fires_the_rate_rule_before_the_threshold(self):
        mark = self.watch.mark()
        t = 22.0
        while t < 41.0:  # +1 degC a second, a poll a second: the AC is dead
            t += 1.0
            self.sim.set(1, "temperature", t)
            time.sleep(1.0)
        rate = self.watch.wait_for(f"{ROOT}/events", event("ac-failure-suspected", "firing"),
                                   after=mark).payload
        limit = self.watch.wait_for(f"{ROOT}/events", event("room-temp-high", "firing"),
                                    after=mark).payload
        self.assertLess(rate["seq"], limit["seq"])
        self.assertLess(self.reading_when(rate), 30.0)  # long before the limit
        self.assertGreaterEqual(rate["value"], 3.0)  # the change, not the reading
        self.assertEqual((rate["controls"], rate["runbook"], rate["owner"], rate["location"]),
                         (["設76"], "https://wiki.example/ac-failure",
                          "facility on call", "room 3, rack A"))
        self.assertEqual(limit["location"], "room 3, rack A")

    def reading_when(self, ev):
        """The temperature telemetry carried last before event EV."""
        last = None
        for m in self.watch.messages():
            if m.topic == f"{ROOT}/events" and m.payload["seq"] == ev["seq"]:
                return last
            if m.topic == f"{ROOT}/telemetry/rack-a":
                last = m.payload["points"]["temperature"]["v"]
        self.fail(f"event {ev['seq']} not seen")

    def test_ack_with_mosquitto_pub_stops_the_repeats(self):
        mark = self.watch.mark()
        self.sim.set(1, "temperature", 45.0)
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("firing"), after=mark)
        time.sleep(5)  # repeat = 2: republished while not acknowledged
        repeats = [m for m in self.watch.messages(f"{ROOT}/alert/room-temp-high", mark)
                   if m.payload["state"] == "firing"]
        self.assertGreaterEqual(len(repeats), 3)
        mosquitto_pub(self.broker.port, f"{ROOT}/cmd/ack",
                      '{"rule":"room-temp-high","by":"tanaka","comment":"on it"}')
        acked = self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                    lambda p: p["acked"], after=mark).payload
        self.assertEqual((acked["state"], acked["ack"]["by"]), ("firing", "tanaka"))
        after_ack = self.watch.mark()
        time.sleep(5)
        self.assertEqual(self.watch.messages(f"{ROOT}/alert/room-temp-high", after_ack), [])

    def test_mask_is_one_alert_per_bit(self):
        mark = self.watch.mark()
        self.sim.raw(4, "holding", 0, 0b0101)  # fire + disabled
        self.watch.wait_for(f"{ROOT}/events", event("fire-panel.fire", "firing"), after=mark)
        self.watch.wait_for(f"{ROOT}/events", event("fire-panel.disabled", "firing"),
                            after=mark)
        fault = self.watch.wait_for(f"{ROOT}/alert/fire-panel.fault", state_is("ok")).payload
        self.assertEqual(fault["bit_name"], "fault")
        self.assertFalse(fault["silenced"])
        # the maintenance window of the config covers only the supply bit
        supply = self.watch.wait_for(f"{ROOT}/alert/fire-panel.supply_fault",
                                     lambda p: p["silenced"]).payload
        self.assertEqual((supply["silence"]["why"], supply["silence"]["by"]),
                         ("battery replacement", "facility"))
        firing = [m.payload["rule"] for m in self.watch.messages(f"{ROOT}/events", mark)
                  if m.payload["to"] == "firing"]
        self.assertEqual(sorted(firing), ["fire-panel.disabled", "fire-panel.fire"])

    def test_all_needs_every_condition(self):
        mark = self.watch.mark()
        self.sim.set(1, "temperature", 28.0)  # warm, AC running (di1 = 1)
        self.watch.wait_for(f"{ROOT}/telemetry/rack-a",
                            lambda p: p["points"]["temperature"]["v"] == 28.0, after=mark)
        time.sleep(1.5)
        self.assertFalse([m for m in self.watch.messages(f"{ROOT}/events", mark)
                          if event("ac-failure", "firing")(m.payload)])
        self.sim.set(3, "di1", 0)  # the AC stops
        ev = self.watch.wait_for(f"{ROOT}/events", event("ac-failure", "firing"),
                                 after=mark).payload
        self.assertEqual(ev["point"], "rack-a.temperature")

    def test_out_of_range_is_a_sensor_fault(self):
        mark = self.watch.mark()
        self.sim.raw(1, "input", 1, 3000)  # 300.0 degC: no SHT20 reads that
        ev = self.watch.wait_for(f"{ROOT}/events",
                                 event("rack-a.temperature.fault", "firing"),
                                 after=mark).payload
        self.assertIn("outside its valid range", ev["detail"])
        self.assertEqual(ev["controls"], ["設80"])
        # never read as a temperature
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("unknown"), after=mark)
        self.assertFalse([m for m in self.watch.messages(f"{ROOT}/events", mark)
                          if event("room-temp-high", "firing")(m.payload)])

    def test_firing_alert_survives_a_restart(self):
        mark = self.watch.mark()
        self.sim.set(1, "temperature", 45.0)
        fired = self.watch.wait_for(f"{ROOT}/events", event("room-temp-high", "firing"),
                                    after=mark).payload
        time.sleep(1.5)
        last_seq = max(m.payload["seq"] for m in self.watch.messages(f"{ROOT}/events"))
        self.agent.stop()
        mark = self.watch.mark()
        self.agent.start()
        self.watch.wait_for(f"{ROOT}/status", state_is("online"), after=mark)
        state = self.watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("firing"),
                                    after=mark).payload
        self.assertEqual(state["since"], fired["ts"])  # the same firing, not a new one
        time.sleep(3)  # several polls after the restart
        after = [m.payload for m in self.watch.messages(f"{ROOT}/events", mark)]
        self.assertFalse([p for p in after if p["rule"] == "room-temp-high"],
                         f"events for room-temp-high after the restart: {after}")
        self.assertRegex(self.agent.log(), r"room-temp-high: still firing")
        # seq continues
        self.sim.set(1, "temperature", 22.0)
        ev = self.watch.wait_for(f"{ROOT}/events", event("room-temp-high", "resolved"),
                                 after=mark).payload
        self.assertGreater(ev["seq"], last_seq)


if __name__ == "__main__":
    unittest.main(verbosity=2)
